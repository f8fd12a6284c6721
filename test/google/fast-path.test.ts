/**
 * The short way for fulfillment requests (src/google/http-server.ts) against express's route:
 * two GoogleHome servers over the same home and the same storage, one with the short way and
 * one with every request through express (`expressOnly`), are sent the same raw HTTP bytes,
 * and must answer byte for byte alike (but the Date header): wrong methods and paths, content
 * types and charsets, compressed, empty, oversize, malformed, slow and aborted bodies, bad
 * tokens, and real QUERY/SYNC/EXECUTE requests. The requests the short way is meant for are
 * checked to have taken it, so the comparison is not express against itself.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Fulfillment } from '../../src/google/fulfillment.js';
import { GoogleHome } from '../../src/google/index.js';
import { createRequestListener, type RequestWay } from '../../src/google/http-server.js';
import { googleConfig, intents, link, recordingLogger, startBed, TEST_SCRYPT, type Bed } from './helpers/bed.js';

interface Target {
  port: number;
  ways: RequestWay[];
}

/** One raw request on its own connection; what came back, as text, until the server closed it. */
function raw(port: number, parts: Array<Buffer | string | { waitMs: number }>, options: { abort?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.on('close', () => resolve(Buffer.concat(received).toString('latin1')));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('connect', async () => {
      for (const part of parts) {
        if (typeof part === 'object' && 'waitMs' in part) await new Promise((r) => setTimeout(r, part.waitMs));
        else socket.write(part);
      }
      // Not half-closed: with `Connection: close` the server ends the connection after its answer.
      if (options.abort) socket.destroy();
    });
  });
}

/** The answer without its Date header (the only part that may differ). */
function normalise(answer: string): string {
  return answer.replace(/\r\nDate: [^\r]*/g, '\r\nDate: (now)');
}

describe('the short way for fulfillment requests', () => {
  let bed: Bed;
  let express: GoogleHome;
  let token: string;
  const short: Target = { port: 0, ways: [] };
  const slow: Target = { port: 0, ways: [] };
  let shortGoogle: GoogleHome;
  const log = recordingLogger();

  beforeAll(async () => {
    bed = await startBed();
    token = (await link(bed.url, 'anna', 'anna-password')).access_token;
    // Both started after the linking, so both read the same token file.
    const start = async (target: Target, expressOnly: boolean): Promise<GoogleHome> => {
      const google = new GoogleHome({
        home: bed.home,
        log,
        storageDir: bed.storage,
        config: googleConfig(),
        tuning: { scrypt: TEST_SCRYPT, expressOnly, onRequestWay: (way) => target.ways.push(way) },
      });
      target.port = (await google.start()).port;
      return google;
    };
    shortGoogle = await start(short, false);
    express = await start(slow, true);
  });
  afterAll(async () => {
    await shortGoogle?.stop();
    await express?.stop();
    await bed?.close();
  });

  const post = (body: Buffer | string, headers: Record<string, string> = {}, path = '/smarthome', method = 'POST'): Buffer => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const all: Record<string, string> = { host: '127.0.0.1', authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(bytes.length), connection: 'close', ...headers };
    const head = Object.entries(all)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    return Buffer.concat([Buffer.from(`${method} ${path} HTTP/1.1\r\n${head}\r\n`), bytes]);
  };

  /** Sends the same bytes to both servers; both answers, normalised, and the way the short-way server took. */
  async function both(parts: Array<Buffer | string | { waitMs: number }>, options: { abort?: boolean } = {}): Promise<{ short: string; express: string; way: RequestWay | undefined }> {
    const before = short.ways.length;
    const a = normalise(await raw(short.port, parts, options));
    const b = normalise(await raw(slow.port, parts, options));
    return { short: a, express: b, way: short.ways[before] };
  }

  async function expectSame(parts: Array<Buffer | string | { waitMs: number }>, way: RequestWay, options: { abort?: boolean } = {}): Promise<string> {
    const answers = await both(parts, options);
    expect(answers.short).toBe(answers.express);
    expect(answers.way).toBe(way);
    return answers.short;
  }

  const query = () => JSON.stringify({ requestId: '42', inputs: [{ intent: 'action.devices.QUERY', payload: { devices: [{ id: bed.id('w1') }, { id: 'nope' }, { id: 'departure-mode' }] } }] });

  it('answers real QUERY, SYNC and EXECUTE requests as express does, and takes the short way for them', async () => {
    const q = await expectSame([post(query())], 'short');
    expect(q).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(q).toContain('Content-Type: application/json; charset=utf-8');
    expect(q).toContain('X-Content-Type-Options: nosniff');
    expect(q).toContain('"deviceNotFound"');
    const sync = await expectSame([post(JSON.stringify({ requestId: '7', inputs: [{ intent: 'action.devices.SYNC' }] }))], 'short');
    expect(sync).toContain('"agentUserId"');
    const exec = JSON.stringify(intents.execute(['nope'], 'action.devices.commands.OpenClose', { openPercent: 50 }));
    expect(await expectSame([post(exec)], 'short')).toContain('"deviceNotFound"');
    // Charset and case spellings body-parser reads as UTF-8 JSON too; a query string.
    await expectSame([post(query(), { 'content-type': 'application/json; charset=utf-8' })], 'short');
    await expectSame([post(query(), { 'content-type': 'Application/JSON; Charset=UTF-8' })], 'short');
    await expectSame([post(query(), {}, '/smarthome?x=1')], 'short');
    // Chunked, and sent slowly in pieces.
    const chunked = (text: string) => [
      post('', { 'content-length': '', 'transfer-encoding': 'chunked' }),
      `${Buffer.byteLength(text.slice(0, 10)).toString(16)}\r\n${text.slice(0, 10)}\r\n`,
      { waitMs: 150 },
      `${Buffer.byteLength(text.slice(10)).toString(16)}\r\n${text.slice(10)}\r\n0\r\n\r\n`,
    ];
    expect(await expectSame(chunked(query()), 'short')).toMatch(/^HTTP\/1\.1 200/);
    const whole = post(query());
    expect(await expectSame([whole.subarray(0, whole.length - 20), { waitMs: 200 }, whole.subarray(whole.length - 20)], 'short')).toMatch(/^HTTP\/1\.1 200/);
  });

  it('refuses missing, malformed and unknown tokens with the same RFC 6750 answers', async () => {
    expect(await expectSame([post(query(), { authorization: '' })], 'short')).toMatch(/^HTTP\/1\.1 401[^]*WWW-Authenticate: Bearer realm="Service"\r\n/);
    expect(await expectSame([post(query(), { authorization: 'Basic YTpi' })], 'short')).toMatch(/^HTTP\/1\.1 400[^]*error="invalid_request"/);
    expect(await expectSame([post(query(), { authorization: 'Bearer not-a-token' })], 'short')).toMatch(/^HTTP\/1\.1 401[^]*error="invalid_token"/);
    await expectSame([post(query(), { authorization: `bearer ${token}` })], 'short');
    // Refused before a large body is read.
    await expectSame([post(`{"x":"${'a'.repeat(200_000)}"}`, { authorization: 'Bearer nope' })], 'short');
  });

  it('answers bodies that are not JSON, not an object, empty or carry a byte-order mark alike', async () => {
    const bodies = ['', '   ', '\r\n\t', 'null', '123', '"x"', 'true', '  tru', 'x', '{', '{"a":', '{bad}', '[1,]', '{"a":1}}', '{} x', '[]', '{}', '{"requestId":1}', `${'['.repeat(5000)}${']'.repeat(5000)}`];
    for (const body of bodies) {
      const answer = await expectSame([post(body)], 'short');
      expect(answer, body).toMatch(/^HTTP\/1\.1 400/);
    }
    // Parse errors name what JSON.parse names (body-parser's answer).
    expect(await expectSame([post('  nul')], 'short')).toContain('"error":"entity.parse.failed"');
    const bom = await expectSame([post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(query())]))], 'short');
    expect(bom).toMatch(/^HTTP\/1\.1 200/);
    // Invalid UTF-8 inside a string: replaced, as body-parser's decoder does.
    const broken = Buffer.from(query().replace('"42"', '"4\u00ff2"'), 'latin1');
    expect(await expectSame([post(broken)], 'short')).toMatch(/^HTTP\/1\.1 200/);
    // A BOM alone and a BOM in the middle.
    await expectSame([post(Buffer.from([0xef, 0xbb, 0xbf]))], 'short');
    await expectSame([post(Buffer.concat([Buffer.from(' '), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]))], 'short');
  });

  it('keeps the 128 kB limit, announced or chunked, and answers 413 only after the body was read', async () => {
    const padded = (bytes: number) => {
      const body = query();
      return body.slice(0, -1) + ' '.repeat(bytes - Buffer.byteLength(body)) + '}';
    };
    expect(await expectSame([post(padded(128 * 1024))], 'short')).toMatch(/^HTTP\/1\.1 200/);
    expect(await expectSame([post(padded(128 * 1024 + 1))], 'short')).toMatch(/^HTTP\/1\.1 413[^]*"error":"entity\.too\.large"/);
    const big = padded(300_000);
    const chunks = [post('', { 'content-length': '', 'transfer-encoding': 'chunked' })];
    for (let i = 0; i < big.length; i += 50_000) chunks.push(Buffer.from(`${Buffer.byteLength(big.slice(i, i + 50_000)).toString(16)}\r\n${big.slice(i, i + 50_000)}\r\n`));
    chunks.push(Buffer.from('0\r\n\r\n'));
    expect(await expectSame(chunks, 'short')).toMatch(/^HTTP\/1\.1 413/);
  });

  it('leaves other methods, paths, content types, charsets, encodings and bodiless requests to express', async () => {
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']) {
      expect(await expectSame([post(query(), {}, '/smarthome', method)], 'express'), method).toMatch(/^HTTP\/1\.1 404/);
    }
    for (const path of ['/smarthome/', '/SmartHome', '/smarthome%20', '//smarthome', '/smarthome/x']) await expectSame([post(query(), {}, path)], 'express');
    for (const type of ['text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-16le', 'application/json;charset=utf-8;x=1', 'application/ld+json', 'application/x-www-form-urlencoded']) {
      await expectSame([post(query(), { 'content-type': type })], 'express');
    }
    await expectSame([post(query(), { 'content-type': '' })], 'express');
    expect(await expectSame([post(gzipSync(query()), { 'content-encoding': 'gzip' })], 'express')).toMatch(/^HTTP\/1\.1 200/);
    expect(await expectSame([post(query(), { 'content-encoding': 'compress' })], 'express')).toMatch(/^HTTP\/1\.1 415/);
    await expectSame([post('', { 'content-length': '' })], 'express');
  });

  it('answers nothing, and stays up, when the client goes away in the middle of a body', async () => {
    const whole = post(query());
    const answers = await both([whole.subarray(0, whole.length - 10), { waitMs: 50 }], { abort: true });
    expect(answers.short).toBe('');
    expect(answers.express).toBe('');
    expect(answers.way).toBe('short');
    expect(await expectSame([post(query())], 'short')).toMatch(/^HTTP\/1\.1 200/);
    expect(log.text('error')).toEqual([]);
  });
});

describe('the short way when the fulfillment itself fails', () => {
  it('logs the failure and answers 500 without internals, as the express route does', async () => {
    const runs = await Promise.all(
      [true, false].map(async (fast) => {
        const log = recordingLogger();
        const failing = { handle: () => Promise.reject(new Error('boom at /secret/path')) } as unknown as Fulfillment;
        const oauth = { router: express.Router(), authenticate: async () => ({ user: { id: 'u1', name: 'anna' } }) };
        const ways: RequestWay[] = [];
        const server: Server = createServer(createRequestListener({ oauth, fulfillment: failing, log, tls: true, fast, onWay: (w) => ways.push(w) }));
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        const port = (server.address() as AddressInfo).port;
        const body = JSON.stringify({ requestId: '1', inputs: [{ intent: 'action.devices.SYNC' }] });
        const answer = normalise(await raw(port, [`POST /smarthome HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`]));
        await new Promise((r) => server.close(r));
        return { answer, errors: log.text('error').map((l) => l.split('\n')[0]), ways };
      }),
    );
    const [short, viaExpress] = runs as [(typeof runs)[number], (typeof runs)[number]];
    expect(short.ways).toEqual(['short']);
    expect(short.answer).toBe(viaExpress.answer);
    expect(short.answer).toMatch(/^HTTP\/1\.1 500[^]*Strict-Transport-Security: max-age=31536000[^]*\{"error":"internal_error"\}$/);
    expect(short.answer).not.toContain('boom');
    expect(short.errors).toEqual(viaExpress.errors);
    expect(short.errors).toEqual(['Google Home: POST /smarthome failed: Error: boom at /secret/path']);
  });
});
