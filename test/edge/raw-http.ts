/** Raw HTTP/1.1 for tests of what fetch would not send (odd Host headers, request targets). */
import { connect } from 'node:net';

/** Sends `head` (request line and headers) to 127.0.0.1:`port`; gives the status and the raw (maybe chunked) body. */
export function sendRaw(port: number, head: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
    socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  });
}
