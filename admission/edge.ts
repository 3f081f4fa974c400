/**
 * The HTTP edge, guarded once: body size, content type, a decodable AdmissionReview, and one place
 * that turns any failure into a denial which still echoes the request uid. Nothing here decides.
 */
import { setMaxListeners } from 'node:events';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { ThurkubeError } from '../shared/errors.js';
import {
  type Body,
  BUSY,
  discardBody,
  jsonShape,
  MAX_BODY_BYTES,
  MAX_JSON_DEPTH,
  MAX_JSON_VALUES,
  PARSED_BYTES_PER_VALUE,
  readBody,
} from './body.js';
import { type AdmissionResponse, envelope, errored } from './responses.js';
import { type AdmissionRequest, decodeReview, uidOf } from './review.js';

export type Env = {
  Bindings: Partial<HttpBindings>;
  /** `release` gives back what the review's body holds of the memory budget (body.ts). */
  Variables: { uid: string; release: () => void };
};

/** A failure at the edge: answered with this HTTP status and an AdmissionReview saying why. */
export class EdgeError extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 503,
    message: string,
    readonly uid = '',
  ) {
    super(message);
  }
}

/**
 * The body, read with bounded memory (body.ts) from the Node request and held against the budget
 * until the review is answered (`release` in the context); through `app.request()` (tests, no
 * socket) only its size is checked.
 */
async function readText(c: Context<Env>): Promise<Body> {
  const incoming = c.env?.incoming;
  if (!incoming) {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > MAX_BODY_BYTES)
      throw new EdgeError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
    return { text, charge: () => true, release() {} };
  }
  const read = await readBody(incoming);
  if ('status' in read) throw new EdgeError(read.status, read.message);
  c.set('release', read.release);
  return read;
}

/** Reads the review from the request, or throws an EdgeError with a reason for a person. */
export async function readReview(c: Context<Env>): Promise<AdmissionRequest> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    // Read to its end and dropped, so that the client can read the answer (body.ts).
    const incoming = c.env?.incoming;
    await (incoming ? discardBody(incoming) : c.req.arrayBuffer().then(() => undefined)).catch(
      () => undefined,
    );
    throw new EdgeError(415, `content type must be application/json, not "${type}"`);
  }
  const read = await readText(c);
  const shape = jsonShape(read.text);
  if (shape.tooDeep)
    throw new EdgeError(400, `body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`);
  if (shape.values > MAX_JSON_VALUES)
    throw new EdgeError(400, `body holds more than ${MAX_JSON_VALUES} JSON values`);
  // What the parsed review will take in the heap, held with its text until it is answered.
  if (!read.charge(shape.values * PARSED_BYTES_PER_VALUE)) throw new EdgeError(503, BUSY.message);
  let body: unknown;
  try {
    body = JSON.parse(read.text);
  } catch (error) {
    throw new EdgeError(400, `body is not JSON: ${(error as Error).message}`);
  }
  c.set('uid', uidOf(body));
  const decoded = decodeReview(body);
  if (!decoded.ok) throw new EdgeError(400, `not an AdmissionReview: ${decoded.reason}`, uidOf(body));
  return decoded.request;
}

/**
 * Reviews that start within the same 50 ms share one AbortSignal for their API calls: a signal of
 * their own cost a third as much as the decision (Node 20 builds every AbortSignal as a
 * transferable object). It aborts a slot's length after the last of them is due, so it only ends
 * calls whose review has already been answered by its own timer.
 */
const SLOT_MS = 50;

let slot: { start: number; ms: number; signal: AbortSignal } | undefined;

function slotSignal(ms: number): AbortSignal {
  const now = performance.now();
  if (slot && slot.ms === ms && now - slot.start < SLOT_MS) return slot.signal;
  const controller = new AbortController();
  // Every live API call of the slot's reviews listens on it: no leak, just many at once.
  setMaxListeners(0, controller.signal);
  setTimeout(() => controller.abort(), ms + SLOT_MS).unref();
  slot = { start: now, ms, signal: controller.signal };
  return slot.signal;
}

/**
 * Runs `work` with a signal for its API calls; rejects with a Transient error after `ms`. The
 * timer is the review's own and cleared when it ends: anything shared between reviews and kept
 * until the deadline would keep every answered review alive that long.
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ThurkubeError('Transient', `no decision within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work(slotSignal(ms)), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The one error handler: an AdmissionReview denial with the uid, whatever was thrown. */
export function failure(error: unknown, uid: string): { status: number; response: AdmissionResponse } {
  if (error instanceof EdgeError)
    return { status: error.status, response: errored(error.uid || uid, error.status, error.message) };
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof ThurkubeError && error.kind === 'Transient' ? 503 : 500;
  return { status: 200, response: errored(uid, status, `thurkube admission could not decide: ${message}`) };
}

export const reply = (c: Context<Env>, response: AdmissionResponse, status = 200) =>
  c.json(envelope(response), status as 200);
