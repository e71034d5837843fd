// The ceiling: node:http answering every request with a fixed body, on node:cluster with the same
// worker count. No framework, no metrics: what the machine can do for this load at all.
import { runClusterPeer } from './cluster';

const BODY = 'Hello from bare node:http\n';

runClusterPeer('bare-http', () => (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(BODY) });
  response.end(BODY);
});
