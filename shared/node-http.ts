/**
 * node:http and node:https, loaded with require. On Node 22 and later an ESM import of node:http
 * reads every export of the module, its lazy WebSocket, CloseEvent and MessageEvent getters
 * included, and those load Node's whole bundled undici: 14 MiB of resident memory on Node 24.22
 * (the image's Node) that a service using http only as a client or a plain server never needs.
 * require() returns the module object without touching those getters.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const http = load('node:http') as typeof import('node:http');
export const https = load('node:https') as typeof import('node:https');
