/**
 * Throw-away X.509 material for the TLS counterparts, made by the `openssl` command: a CA, a server
 * certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA, plus a second
 * client certificate from an unrelated CA (for "refused without a trusted cert" checks).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** PEM texts of one generated set. */
export interface TestCertificates {
  /** The CA certificate that signed the server and the trusted client certificate. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Signed by `caCert`: the certificate a server requiring client certificates accepts. */
  clientCert: string;
  clientKey: string;
  /** Self-signed by another CA: a certificate the server must refuse. */
  strangerCert: string;
  strangerKey: string;
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Generates a fresh set (EC P-256 keys, valid for a day) in a temporary directory, reads it and
 * removes the directory.
 * @throws Error when `openssl` is missing or fails (its stderr is in the message)
 */
export function generateTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'nodebill-certs-'));
  try {
    const key = (name: string): void => openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
    const selfSigned = (name: string, subject: string): void =>
      openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-sha256', '-days', '1', '-subj', subject, '-out', `${name}.crt`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const signed = (name: string, subject: string, extensions: string): void => {
      openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
      writeFileSync(path.join(dir, `${name}.ext`), extensions);
      openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-sha256',
        '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
    };
    key('ca');
    selfSigned('ca', '/CN=NodeBill test CA');
    key('server');
    signed('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
    key('client');
    signed('client', '/CN=nodebill-client', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
    key('stranger');
    selfSigned('stranger', '/CN=stranger');
    const read = (file: string): string => readFileSync(path.join(dir, file), 'utf8');
    return {
      caCert: read('ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
      strangerCert: read('stranger.crt'),
      strangerKey: read('stranger.key'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
