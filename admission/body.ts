/**
 * Reading a request body with bounded memory, whatever the client sends. One body may hold at
 * most MAX_BODY_BYTES, and all bodies being read at once at most BODY_BUDGET_BYTES together (a
 * storm of large reviews is answered 503 instead of growing the heap past the pod's limit). A
 * refused body is still read to its end and dropped, so that the client finishes its upload and
 * reads the answer instead of meeting a closed connection; past DRAIN_LIMIT_BYTES it is cut off.
 * JSON nesting is checked before parsing, so no decision ever recurses deeply on untrusted input.
 */
import type { IncomingMessage } from 'node:http';

/** The API server sends at most 3 MiB objects (twice, old and new, on UPDATE, well below this). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Bodies held at once, by every request together: four of the largest, thousands of usual ones. */
export const BODY_BUDGET_BYTES = 12 * 1024 * 1024;
/** What is read and dropped after a refusal before the connection is closed. */
export const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;
/** Deeper than any Kubernetes object is; the API server's own limit is far higher. */
export const MAX_JSON_DEPTH = 128;

export type BodyProblem = { status: 413 | 503; message: string };

let held = 0;

/** Bytes of request bodies held right now (for tests and metrics). */
export const heldBodyBytes = () => held;

/**
 * Reads the rest of a refused body and drops it, resolving at its end: Node closes a connection
 * whose request is still arriving when the response is done, and the client would meet that
 * instead of the answer. Past DRAIN_LIMIT_BYTES the connection is cut off.
 */
function drain(incoming: IncomingMessage, alreadyRead: number): Promise<void> {
  return new Promise((resolve) => {
    let dropped = alreadyRead;
    incoming.removeAllListeners('data');
    incoming.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DRAIN_LIMIT_BYTES) {
        incoming.destroy();
        resolve();
      }
    });
    incoming.once('end', resolve);
    incoming.once('close', resolve);
    incoming.resume();
  });
}

const tooLarge: BodyProblem = { status: 413, message: `request body is larger than ${MAX_BODY_BYTES} bytes` };
const busy: BodyProblem = {
  status: 503,
  message: 'too many large requests at once; the webhook refuses more until those in flight are answered',
};

/** The body as text, or why it was refused. */
export function readBody(incoming: IncomingMessage): Promise<{ text: string } | BodyProblem> {
  const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
  if (declared > MAX_BODY_BYTES) return drain(incoming, 0).then(() => tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    let refused = false;
    const finish = (result: { text: string } | BodyProblem) => {
      if (done) return;
      done = true;
      held -= size;
      resolve(result);
    };
    incoming.on('data', (chunk: Buffer) => {
      if (refused) return;
      if (size + chunk.length > MAX_BODY_BYTES || held + chunk.length > BODY_BUDGET_BYTES) {
        const problem = size + chunk.length > MAX_BODY_BYTES ? tooLarge : busy;
        const read = size + chunk.length;
        chunks.length = 0;
        held -= size;
        size = 0;
        refused = true;
        void drain(incoming, read).then(() => finish(problem));
        return;
      }
      size += chunk.length;
      held += chunk.length;
      chunks.push(chunk);
    });
    incoming.on('end', () => {
      if (!refused) finish({ text: Buffer.concat(chunks).toString('utf8') });
    });
    incoming.on('error', (error) => {
      if (!done) {
        done = true;
        held -= size;
        reject(error);
      }
    });
  });
}

/**
 * Whether JSON text nests deeper than `max` arrays and objects, found in one pass without
 * recursion; strings are skipped, escapes included.
 */
export function nestsDeeper(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}
