/**
 * Preloaded into a Node process (NODE_OPTIONS=--require <this file>) to record every
 * outbound connection it opens: TCP connects (net, http, https, tls, fetch all end in
 * net.Socket.prototype.connect), UDP sends and connects, and DNS lookups of names. One JSON
 * line per event is appended to the file named by VELUX_CONNECTION_LOG. Records only; never
 * changes what the process does.
 */
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded with --require, so CommonJS */
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const dgram = require('node:dgram');
const dns = require('node:dns');

const file = process.env.VELUX_CONNECTION_LOG;

function record(entry) {
  try {
    fs.appendFileSync(file, `${JSON.stringify({ pid: process.pid, ...entry })}\n`);
  } catch {
    // Recording must never break the process under test.
  }
}

if (file) {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function recordedConnect(...args) {
    try {
      // net.connect() passes its normalized [options, callback] array as the only argument.
      const list = Array.isArray(args[0]) ? args[0] : args;
      const first = list[0];
      if (first !== null && typeof first === 'object') {
        // undici (fetch) passes `path: null` along with host and port.
        if (typeof first.path === 'string' && first.path !== '') record({ proto: 'ipc', path: first.path });
        else record({ proto: 'tcp', host: first.host === undefined ? 'localhost' : String(first.host), port: Number(first.port) });
      } else if (typeof first === 'string' && !/^\d+$/.test(first)) {
        record({ proto: 'ipc', path: first });
      } else {
        record({ proto: 'tcp', host: typeof list[1] === 'string' ? list[1] : 'localhost', port: Number(first) });
      }
    } catch {
      record({ proto: 'tcp', host: '(unparsed)', port: 0 });
    }
    return connect.apply(this, args);
  };

  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function recordedSend(...args) {
    try {
      let port;
      let address;
      if (typeof args[1] === 'number' && typeof args[2] === 'number' && typeof args[3] === 'number') {
        port = args[3];
        address = args[4];
      } else if (typeof args[1] === 'number') {
        port = args[1];
        address = args[2];
      } else {
        const remote = this.remoteAddress();
        port = remote.port;
        address = remote.address;
      }
      record({ proto: 'udp', host: typeof address === 'string' ? address : '(default)', port: Number(port) });
    } catch {
      record({ proto: 'udp', host: '(unparsed)', port: 0 });
    }
    return send.apply(this, args);
  };

  const udpConnect = dgram.Socket.prototype.connect;
  dgram.Socket.prototype.connect = function recordedUdpConnect(port, address, ...rest) {
    record({ proto: 'udp-connect', host: typeof address === 'string' ? address : '(default)', port: Number(port) });
    return udpConnect.call(this, port, address, ...rest);
  };

  const lookup = dns.lookup;
  dns.lookup = function recordedLookup(hostname, ...rest) {
    if (net.isIP(String(hostname)) === 0) record({ proto: 'dns', host: String(hostname) });
    return lookup.call(this, hostname, ...rest);
  };
  const promisesLookup = dns.promises.lookup;
  dns.promises.lookup = function recordedPromisesLookup(hostname, ...rest) {
    if (net.isIP(String(hostname)) === 0) record({ proto: 'dns', host: String(hostname) });
    return promisesLookup.call(this, hostname, ...rest);
  };
}
