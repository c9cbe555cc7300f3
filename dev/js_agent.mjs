// Echo agent served by the OFFICIAL JavaScript SDK (@a2a-js/sdk, tested: 1.3.0) on express, for
// interop tests of Handler. The JavaScript twin of dev/sdk_agent.py: the same card name, skills,
// texts and flows, so dev/interop.py runs the same checks against both.
//
//   node dev/js_agent.mjs --port 0 [--host 127.0.0.1] [--node-modules DIR]
//       [--protocol both|1.0|0.3] [--rpc-path /] [--rest | --rest-first | --rest-only]
//       [--rest-path PREFIX]
//       [--bearer-token T] [--no-streaming] [--no-push] [--no-extended-card]
//
// Prints `READY http://HOST:PORT` (the real port) on stdout once listening.
//
// --node-modules DIR: the node_modules folder holding @a2a-js/sdk and express (default:
// $A2A_JS_NODE_MODULES, else ./node_modules); `npm install @a2a-js/sdk@1.3.0 express` makes one.
//
// Behaviour (as dev/sdk_agent.py):
// - text starting with "ask": the task stops in input-required with the agent status message
//   "What should I echo?"; the next message carrying that taskId resumes it and echoes the
//   follow-up text. Like the SDK's own samples, every turn opens with the task as it stands, so a
//   stream that answers the question opens with the input-required snapshot, old question and all;
// - otherwise: Task(submitted) -> working -> artifact "echo" in two chunks ("Echo: " then the
//   user's text, append+lastChunk) -> completed;
// - text starting with "slow": the same with 0.5 s sleeps between the steps; CancelTask stops it
//   at the next step (the executor publishes the canceled status at once, as the SDK wants);
// - file and data parts of the user's message are echoed back unchanged, appended to the last
//   chunk of the "echo" artifact after the text.
// The card offers an extended card, served without authentication: the same card named
// "SDK Echo Agent (extended)" with one more skill, "secret".
//
// --protocol (the A2A versions served, as `handler.py server agent --protocol`):
// - both (default): every binding is declared at 1.0 and at 0.3 (the SDK's
//   duplicateInterfacesForLegacy) and every express handler runs with legacyCompat enabled, so
//   one URL answers 1.0 requests (A2A-Version: 1.0) and 0.3 ones (the header 0.3 or absent); the
//   card endpoint serves the 1.0 card to A2A-Version 1.0 and the SDK's "hybrid" card (0.3 fields
//   plus supportedInterfaces) otherwise; push goes through createLegacyAwarePushNotificationSender
//   (each webhook gets the shape of the version it was registered over);
// - 1.0: only 1.0 interfaces, no compatibility layer (0.3 requests are refused);
// - 0.3: the SDK's 0.3 compatibility mode alone: the card declares only 0.3 interfaces, so a
//   client must speak 0.3 (the SDK refuses A2A-Version 1.0 with VersionNotSupported).
// Bindings: default JSON-RPC only (POST at --rpc-path). --rest: HTTP+JSON too (the SDK's
// restHandler mounted at --rest-path, default the root; 1.0 paths /message:send, ..., 0.3 paths
// /v1/message:send, ...), listed after JSON-RPC; --rest-first: listed first; --rest-only: no
// JSON-RPC endpoint, the card offers only HTTP+JSON.
// --bearer-token T: every A2A request (not the public card) needs `Authorization: Bearer T`, else
// HTTP 401 with `WWW-Authenticate: Bearer`; the card declares the scheme in the SDK's own shape.
// --no-streaming / --no-push / --no-extended-card: the card declares that capability false and the
// SDK refuses the operations.
//
// Imports: node's own modules, @a2a-js/sdk and express. Node 20 or later.

import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const USAGE = 'usage: node dev/js_agent.mjs --port PORT [--host H] [--node-modules DIR] ' +
  '[--protocol both|1.0|0.3] [--rpc-path P] [--rest|--rest-first|--rest-only] ' +
  '[--rest-path PREFIX] ' +
  '[--bearer-token T] [--no-streaming] [--no-push] [--no-extended-card]';

function fail(message) {
  process.stderr.write(`js_agent.mjs: error: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let opts;
try {
  opts = parseArgs({
    options: {
      port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' },
      'node-modules': { type: 'string' }, protocol: { type: 'string', default: 'both' },
      'rpc-path': { type: 'string', default: '/' }, rest: { type: 'boolean' },
      'rest-first': { type: 'boolean' }, 'rest-only': { type: 'boolean' },
      'rest-path': { type: 'string', default: '' }, 'bearer-token': { type: 'string' },
      'no-streaming': { type: 'boolean' }, 'no-push': { type: 'boolean' },
      'no-extended-card': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (e) {
  fail(e.message);
}
if (opts.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
if (opts.port === undefined || !/^\d+$/.test(opts.port) || Number(opts.port) > 65535) {
  fail('--port PORT (0 to 65535) is required');
}
if (!['both', '1.0', '0.3'].includes(opts.protocol)) fail('--protocol must be both, 1.0 or 0.3');
if ([opts.rest, opts['rest-first'], opts['rest-only']].filter(Boolean).length > 1) {
  fail('--rest, --rest-first and --rest-only exclude each other');
}
const restPath = opts['rest-path'];
if (restPath && (!restPath.startsWith('/') || restPath.endsWith('/'))) {
  fail('--rest-path must start with / and not end with / (or be empty)');
}
if (!opts['rpc-path'].startsWith('/')) fail('--rpc-path must start with /');
if (opts['bearer-token'] === '') fail('--bearer-token must not be empty');

// The SDK and express from the given node_modules folder (its CommonJS builds: a bare ESM import
// would look only beside this file).
const modules = resolve(opts['node-modules'] || process.env.A2A_JS_NODE_MODULES || 'node_modules');
const require = createRequire(join(modules, '..', 'js_agent.cjs'));
let sdk, server, express, expressSdk, compat, compatServer, SDK_VERSION;
try {
  sdk = require('@a2a-js/sdk');
  server = require('@a2a-js/sdk/server');
  expressSdk = require('@a2a-js/sdk/server/express');
  compat = require('@a2a-js/sdk/compat/v0_3');
  compatServer = require('@a2a-js/sdk/compat/v0_3/server');
  express = require('express');
  SDK_VERSION = JSON.parse(readFileSync(join(modules, '@a2a-js', 'sdk', 'package.json'))).version;
} catch (e) {
  fail(`cannot load @a2a-js/sdk and express from ${modules} (npm install @a2a-js/sdk@1.3.0 ` +
       `express there, or give --node-modules DIR): ${e.message}`);
}
const { TaskState, Role, A2A_PROTOCOL_VERSION, AGENT_CARD_PATH } = sdk;
const { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, InMemoryPushNotificationStore,
  DefaultPushNotificationSender } = server;
const { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } = expressSdk;

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const textPart = (text) => ({ content: { $case: 'text', value: text }, metadata: undefined,
  filename: '', mediaType: 'text/plain' });
const now = () => new Date().toISOString();

class EchoExecutor {
  constructor() {
    this.canceled = new Set();
  }

  cancelTask = async (taskId, eventBus) => {
    // The SDK's cancelTask waits for a terminal event on the bus: publish it now; execute() stops
    // at its next step.
    this.canceled.add(taskId);
    const task = this.running?.get(taskId);
    eventBus.publish(AgentEvent.statusUpdate({
      taskId, contextId: task ? task.contextId : '',
      status: { state: TaskState.TASK_STATE_CANCELED, timestamp: now(), message: undefined },
      metadata: {},
    }));
  };

  async execute(ctx, bus) {
    const message = ctx.userMessage;
    const { taskId, contextId } = ctx;
    const text = (message.parts || []).filter((p) => p.content?.$case === 'text')
      .map((p) => p.content.value).join('');
    const existing = ctx.task;
    const followUp = existing?.status?.state === TaskState.TASK_STATE_INPUT_REQUIRED;
    this.running = this.running || new Map();
    this.running.set(taskId, { contextId });
    const status = (state, msg) => bus.publish(AgentEvent.statusUpdate({
      taskId, contextId, status: { state, timestamp: now(), message: msg }, metadata: {},
    }));
    try {
      // Every turn opens with the task as it stands (the SDK requires a task or message first).
      bus.publish(AgentEvent.task(existing ?? {
        id: taskId, contextId, artifacts: [], history: [message], metadata: message.metadata,
        status: { state: TaskState.TASK_STATE_SUBMITTED, timestamp: now(), message: undefined },
      }));
      if (!followUp && text.startsWith('ask')) {
        status(TaskState.TASK_STATE_INPUT_REQUIRED, {
          role: Role.ROLE_AGENT, messageId: randomUUID(), parts: [textPart('What should I echo?')],
          taskId, contextId, extensions: [], metadata: {}, referenceTaskIds: [],
        });
        return;
      }
      const slow = text.startsWith('slow');
      const step = async () => {
        if (slow) await sleep(500);
        return this.canceled.has(taskId);
      };
      if (await step()) return;
      status(TaskState.TASK_STATE_WORKING, undefined);
      if (await step()) return;
      const artifact = (parts, append, lastChunk) => bus.publish(AgentEvent.artifactUpdate({
        taskId, contextId, append, lastChunk, metadata: undefined,
        artifact: { artifactId: 'echo-' + taskId, name: 'echo', description: '', parts,
                    metadata: undefined, extensions: [] },
      }));
      artifact([textPart('Echo: ')], false, false);
      if (await step()) return;
      const others = (message.parts || []).filter((p) => p.content?.$case !== 'text');
      artifact([textPart(text), ...others], true, true);
      if (await step()) return;
      status(TaskState.TASK_STATE_COMPLETED, undefined);
    } finally {
      this.canceled.delete(taskId);
      this.running.delete(taskId);
    }
  }
}

function buildApp(baseUrl) {
  const rpcPath = opts['rpc-path'];
  const serveRest = opts.rest || opts['rest-first'] || opts['rest-only'];
  const serveRpc = !opts['rest-only'];
  const legacy = opts.protocol !== '1.0';
  const streaming = !opts['no-streaming'];
  const push = !opts['no-push'];
  const ext = !opts['no-extended-card'];
  const bindings = [];
  if (serveRpc) bindings.push({ url: baseUrl + rpcPath, protocolBinding: 'JSONRPC' });
  if (serveRest) {
    const rest = { url: baseUrl + restPath, protocolBinding: 'HTTP+JSON' };
    if (opts['rest-first']) bindings.unshift(rest); else bindings.push(rest);
  }
  const v1 = bindings.map((b) => ({ ...b, tenant: '', protocolVersion: A2A_PROTOCOL_VERSION }));
  const interfaces = opts.protocol === '1.0' ? v1
    : opts.protocol === 'both' ? compat.duplicateInterfacesForLegacy(v1, ['JSONRPC', 'HTTP+JSON'])
    : v1.map((b) => ({ ...b, protocolVersion: compat.A2A_LEGACY_PROTOCOL_VERSION }));
  const skill = (id, name, description, examples) => ({
    id, name, description, tags: id === 'echo' ? ['echo', 'test'] : ['test'], examples,
    inputModes: [], outputModes: [], securityRequirements: [],
  });
  const echo = skill('echo', 'Echo', 'Echoes your text back as an artifact.',
                     ['hello', 'ask me', 'slow hello']);
  const secret = skill('secret', 'Secret', 'Shown only on the extended card.', ['hello']);
  const bearer = opts['bearer-token'];
  const card = (name, skills) => ({
    name,
    description: `Echo agent built with the official @a2a-js/sdk ${SDK_VERSION} for Handler ` +
      'interop tests.',
    supportedInterfaces: interfaces,
    version: SDK_VERSION,
    capabilities: { streaming, pushNotifications: push, extensions: [], extendedAgentCard: ext },
    securitySchemes: bearer ? { bearer: { scheme: { $case: 'httpAuthSecurityScheme', value: {
      description: 'Bearer token', scheme: 'bearer', bearerFormat: '' } } } } : {},
    securityRequirements: bearer ? [{ schemes: { bearer: { list: [] } } }] : [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills,
    signatures: [],
  });
  const agentCard = card('SDK Echo Agent', [echo]);
  const extended = card('SDK Echo Agent (extended)', [echo, secret]);
  const pushStore = push ? new InMemoryPushNotificationStore() : undefined;
  const senderOptions = { timeout: 10000, tokenHeaderName: 'X-A2A-Notification-Token' };
  const pushSender = !push ? undefined : legacy
    ? compatServer.createLegacyAwarePushNotificationSender(pushStore, senderOptions)
    : new DefaultPushNotificationSender(pushStore, senderOptions);
  const handler = new DefaultRequestHandler(agentCard, new InMemoryTaskStore(), new EchoExecutor(),
                                            undefined, pushStore, pushSender,
                                            ext ? async () => extended : undefined);
  const app = express();
  const compatOption = legacy ? { legacyCompat: { enabled: true } } : {};
  const common = { requestHandler: handler, userBuilder: UserBuilder.noAuthentication,
    ...compatOption };
  app.use('/' + AGENT_CARD_PATH, agentCardHandler({ agentCardProvider: handler, ...compatOption }));
  if (bearer) {
    app.use((req, res, next) => {
      if (req.headers.authorization === 'Bearer ' + bearer) return next();
      res.set('WWW-Authenticate', 'Bearer realm="js_agent"').status(401)
        .json({ error: 'missing or wrong bearer token' });
    });
  }
  if (serveRpc) {
    // Only POSTs to the endpoint itself: the JSON-RPC router would also guard other paths.
    const rpc = jsonRpcHandler(common);
    app.use((req, res, next) => {
      if (req.method !== 'POST' || req.path !== rpcPath) return next();
      req.url = '/' + req.url.slice(req.path.length);
      return rpc(req, res, next);
    });
  }
  if (serveRest) app.use(restPath || '/', restHandler(common));
  return app;
}

const host = opts.host;
const httpServer = createServer();   // the app is built once the real port is known
httpServer.on('error', (err) => {
  process.stderr.write(`js_agent.mjs: cannot listen on ${host}:${opts.port}: ${err.message}\n`);
  process.exit(1);
});
httpServer.listen(Number(opts.port), host, () => {
  const { port } = httpServer.address();
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  httpServer.on('request', buildApp(baseUrl));
  process.stdout.write(`READY ${baseUrl}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    httpServer.close();
    httpServer.closeAllConnections?.();
    process.exit(0);
  });
}
