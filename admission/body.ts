/**
 * Reading a request body with bounded memory, whatever the client sends. One body may hold at
 * most MAX_BODY_BYTES, and the reviews in flight at most BODY_BUDGET_BYTES together, from the
 * first byte read until their answer is ready: the text, and what parsing it is expected to cost
 * (PARSED_BYTES_PER_VALUE for each JSON value). A storm of large or dense reviews is answered 503
 * instead of growing the heap past the pod's limit. A refused body is still read to its end and
 * dropped, so that the client finishes its upload and reads the answer instead of meeting a closed
 * connection; past DRAIN_LIMIT_BYTES it is cut off. JSON nesting and the number of values are
 * checked before parsing, so no decision ever recurses deeply on untrusted input, and no small
 * body turns into a large heap (`[{},{},...]` costs 20 times its text once parsed).
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
/** Values (objects, arrays, strings, numbers...) in one body: a large Pod review holds about 2,000. */
export const MAX_JSON_VALUES = 100_000;
/**
 * What one JSON value costs in the heap once parsed, at most: measured on Node 20 from 7 bytes (a
 * number in an array) to 40 (empty objects as values of one large object).
 */
export const PARSED_BYTES_PER_VALUE = 48;

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
export const BUSY: BodyProblem = {
  status: 503,
  message: 'too many large requests at once; the webhook refuses more until those in flight are answered',
};

/** A body that was read: its text, held against the budget until `release()`. */
export interface Body {
  text: string;
  /** Adds `bytes` to what this body holds; false (nothing added) when the budget has no room. */
  charge(bytes: number): boolean;
  /** Gives back everything this body holds; call it once the review is answered. */
  release(): void;
}

function holding(size: number, text: string): Body {
  let mine = size;
  return {
    text,
    charge(bytes) {
      if (held + bytes > BODY_BUDGET_BYTES) return false;
      held += bytes;
      mine += bytes;
      return true;
    },
    release() {
      held -= mine;
      mine = 0;
    },
  };
}

/** The body as text, or why it was refused. What it holds stays held until `release()`. */
export function readBody(incoming: IncomingMessage): Promise<Body | BodyProblem> {
  const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
  if (declared > MAX_BODY_BYTES) return drain(incoming, 0).then(() => tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    let refused = false;
    const refuse = (problem: BodyProblem, read: number) => {
      chunks.length = 0;
      held -= size;
      size = 0;
      refused = true;
      void drain(incoming, read).then(() => {
        done = true;
        resolve(problem);
      });
    };
    incoming.on('data', (chunk: Buffer) => {
      if (refused) return;
      if (size + chunk.length > MAX_BODY_BYTES) return refuse(tooLarge, size + chunk.length);
      if (held + chunk.length > BODY_BUDGET_BYTES) return refuse(BUSY, size + chunk.length);
      size += chunk.length;
      held += chunk.length;
      chunks.push(chunk);
    });
    incoming.on('end', () => {
      if (refused || done) return;
      done = true;
      const text = Buffer.concat(chunks, size).toString('utf8');
      chunks.length = 0;
      resolve(holding(size, text));
    });
    incoming.on('error', (error) => {
      if (!done) {
        done = true;
        held -= size;
        size = 0;
        reject(error);
      }
    });
  });
}

/** Reads a body to its end and drops it (a refused content type), resolving at its end. */
export const discardBody = (incoming: IncomingMessage): Promise<void> => drain(incoming, 0);

/** Where the string opened by the quote at `open` ends (its closing quote), or the text's end. */
function stringEnd(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at >= 0; at = text.indexOf('"', at + 1)) {
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === 92) slashes++;
    // An even run of backslashes escapes itself, not the quote.
    if (slashes % 2 === 0) return at;
  }
  return text.length;
}

/**
 * What parsing JSON text would build, found in one pass without recursion (strings skipped,
 * escapes included): whether it nests deeper than `maxDepth` arrays and objects, and about how
 * many values it holds (containers, and one per `,` or `:`), counted up to `maxValues` + 1.
 */
export function jsonShape(
  text: string,
  maxDepth = MAX_JSON_DEPTH,
  maxValues = MAX_JSON_VALUES,
): { tooDeep: boolean; values: number } {
  let depth = 0;
  let values = 0;
  for (let i = 0; i < text.length && values <= maxValues; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) i = stringEnd(text, i);
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return { tooDeep: true, values };
      values++;
    } else if (c === 125 || c === 93) depth--;
    else if (c === 44 || c === 58) values++;
  }
  return { tooDeep: false, values };
}

/** Whether JSON text nests deeper than `max` arrays and objects. */
export const nestsDeeper = (text: string, max = MAX_JSON_DEPTH): boolean =>
  jsonShape(text, max, Number.POSITIVE_INFINITY).tooDeep;
