/**
 * A self-signed certificate for the emulated KLF 200, made with the openssl command line
 * (like the real gateway's, it is its own CA). `expired: true` dates it like the certificate
 * VELUX ships on the gateway (valid 2018-04-25 … 2026-07-12), to prove fingerprint pinning.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EmulatorCertificate {
  cert: string;
  key: string;
  /** SHA-1 fingerprint as Node prints it (AA:BB:…). */
  fingerprint: string;
}

export function makeEmulatorCertificate(options: { expired?: boolean; commonName?: string } = {}): EmulatorCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'klf-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const subject = `/C=DK/O=VELUX/CN=${options.commonName ?? 'KLF 200 emulator'}`;
    if (!options.expired) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '3650', '-subj', subject], {
        stdio: 'ignore',
      });
    } else {
      const csr = join(dir, 'req.csr');
      const conf = join(dir, 'ca.cnf');
      writeFileSync(
        conf,
        [
          '[ ca ]',
          'default_ca = klf',
          '[ klf ]',
          `database = ${join(dir, 'index.txt')}`,
          `new_certs_dir = ${dir}`,
          `serial = ${join(dir, 'serial')}`,
          'default_md = sha256',
          'policy = any',
          '[ any ]',
          'commonName = supplied',
          '',
        ].join('\n'),
      );
      writeFileSync(join(dir, 'index.txt'), '');
      writeFileSync(join(dir, 'serial'), '01\n');
      execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], { stdio: 'ignore' });
      execFileSync(
        'openssl',
        ['ca', '-batch', '-config', conf, '-selfsign', '-keyfile', key, '-in', csr, '-out', cert, '-startdate', '20180425093826Z', '-enddate', '20260712093826Z'],
        { stdio: 'ignore' },
      );
    }
    const certPem = readFileSync(cert, 'utf8');
    return { cert: certPem, key: readFileSync(key, 'utf8'), fingerprint: new X509Certificate(certPem).fingerprint };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
