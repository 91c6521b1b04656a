/** A real HTTP receiver on 127.0.0.1 for the webhook tests: records each request, answers as told. */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON. */
  json: unknown;
}

/** Answers request number `index` (0-based); leaving `response` unanswered makes the request hang. */
export type Responder = (request: ReceivedRequest, response: ServerResponse, index: number) => void;

export const accept: Responder = (_request, response) => response.writeHead(204).end();

export interface TestServer {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  respond: Responder;
  close(): Promise<void>;
}

export async function startServer(respond: Responder = accept): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const requests: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
      const received = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body, json };
      requests.push(received);
      handle.respond(received, response, requests.length - 1);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: TestServer = {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests,
    respond,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy()); // hanging requests would keep close() waiting
        server.close(() => resolve());
      }),
  };
  return handle;
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
