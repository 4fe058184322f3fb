#!/usr/bin/env node
'use strict';
/*
 * A stand-in OpenTofu/Terraform provider, `example.test/edge/echo`, with one data source `echo_value`
 * (one computed string attribute `result`). It exists so the plugin-cache tests install a real provider
 * package through the real tool's installer and plan with it; nothing here is copied from upstream.
 *
 * What it imitates, and where each part is defined:
 * - The plugin handshake (hashicorp/go-plugin docs/internals.md "Handshake", server.go): the host sets
 *   the magic cookie TF_PLUGIN_MAGIC_COOKIE (its value: terraform/opentofu internal/plugin/serve.go
 *   `Handshake`) and, with AutoMTLS, PLUGIN_CLIENT_CERT (go-plugin client.go); the plugin prints one
 *   line `CORE-PROTOCOL-VERSION|APP-PROTOCOL-VERSION|NETWORK-TYPE|NETWORK-ADDR|PROTOCOL|SERVER-CERT`
 *   (core 1, protocol 6, tcp, grpc, its certificate as unpadded base64 DER) and serves gRPC over TLS
 *   that requires the host's client certificate.
 * - The RPCs of protocol 6 (docs/plugin-protocol/tfplugin6.proto, service `tfplugin6.Provider`):
 *   GetProviderSchema.Response {provider=1, data_source_schemas=3}; Schema {block=2};
 *   Schema.Block {attributes=2}; Schema.Attribute {name=1, type=2 (JSON type), optional=5, computed=6};
 *   ReadDataSource.Response {state=1: DynamicValue {json=2}}. Empty responses for the validate,
 *   configure and stop calls; UNIMPLEMENTED (gRPC status 12) for anything else, as a gRPC server
 *   answers an unknown method (grpc/grpc doc/statuscodes.md), which the host tolerates for the optional
 *   GetMetadata. go-plugin's GRPCController/Shutdown ends the process.
 * - gRPC framing (grpc/grpc doc/PROTOCOL-HTTP2.md): a 5-byte prefix (compressed flag, length), the
 *   `grpc-status` trailer.
 */
const http2 = require('node:http2');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const VERSION = '__VERSION__';
const COOKIE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
if (process.env.TF_PLUGIN_MAGIC_COOKIE !== COOKIE) {
  process.stderr.write('This binary is a plugin; it is started by OpenTofu or Terraform.\n');
  process.exit(1);
}

// Protocol buffers wire format: varints and length-delimited fields are all this needs.
const varint = (n) => {
  const out = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
};
const bytes = (no, b) => {
  const payload = Buffer.isBuffer(b) ? b : Buffer.from(b);
  return Buffer.concat([varint((no << 3) | 2), varint(payload.length), payload]);
};
const flag = (no, on) => (on ? Buffer.concat([varint(no << 3), varint(1)]) : Buffer.alloc(0));
const attribute = (name, type, o) =>
  Buffer.concat([bytes(1, name), bytes(2, JSON.stringify(type)), flag(5, o.optional), flag(6, o.computed)]);
const schema = (attrs) => bytes(2, Buffer.concat(attrs.map((a) => bytes(2, a))));

const empty = () => Buffer.alloc(0);
const methods = {
  GetProviderSchema: () =>
    Buffer.concat([
      bytes(1, schema([])),
      bytes(
        3,
        Buffer.concat([
          bytes(1, 'echo_value'),
          bytes(2, schema([attribute('result', 'string', { computed: true })])),
        ]),
      ),
    ]),
  ValidateProviderConfig: empty,
  ValidateDataResourceConfig: empty,
  ConfigureProvider: empty,
  ReadDataSource: () => bytes(1, bytes(2, JSON.stringify({ result: `hello from echo ${VERSION}` }))),
  StopProvider: empty,
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'echo-provider-'));
try {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=digitalSignature,keyEncipherment,keyCertSign',
      '-addext',
      'extendedKeyUsage=serverAuth,clientAuth',
      '-keyout',
      path.join(tmp, 'key.pem'),
      '-out',
      path.join(tmp, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
} catch (e) {
  process.stderr.write(`echo provider: openssl failed: ${e.message}\n`);
  process.exit(1);
}
const key = fs.readFileSync(path.join(tmp, 'key.pem'));
const cert = fs.readFileSync(path.join(tmp, 'cert.pem'));
fs.rmSync(tmp, { recursive: true, force: true });
const der = Buffer.from(
  cert
    .toString()
    .replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, ''),
  'base64',
);

function reply(stream, body) {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(Buffer.concat([head, body]));
}

const server = http2.createSecureServer({
  key,
  cert,
  ca: process.env.PLUGIN_CLIENT_CERT,
  requestCert: true,
  rejectUnauthorized: true,
});
server.on('stream', (stream, headers) => {
  const p = headers[':path'];
  stream.on('data', () => undefined);
  stream.on('end', () => {
    if (stream.destroyed) return;
    if (p === '/plugin.GRPCController/Shutdown') {
      reply(stream, empty());
      setTimeout(() => process.exit(0), 10);
      return;
    }
    const m = /^\/tfplugin6\.Provider\/(\w+)$/.exec(p);
    const fn = m && methods[m[1]];
    if (!fn) {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '12',
          'grpc-message': 'unimplemented',
        },
        { endStream: true },
      );
      return;
    }
    reply(stream, fn());
  });
});
server.listen(0, '127.0.0.1', () => {
  const b64 = der.toString('base64').replace(/=+$/, '');
  process.stdout.write(`1|6|tcp|127.0.0.1:${server.address().port}|grpc|${b64}\n`);
});
