// The OFFICIAL JavaScript SDK's client (@a2a-js/sdk, tested: 1.3.0) against Handler's built-in
// agent (`handler.py server agent`), the other way round from dev/interop.py.
//
//   node dev/js_client.mjs [--node-modules DIR] [--handler handler.py] [--python python3]
//       [--protocol both|1.0|0.3 ...]
//
// For each --protocol (default: all three) it starts `python3 handler.py server agent --port 0
// --protocol P` (waits 30 s at most for its banner), builds the SDK's client from the card with
// ClientFactory (JSON-RPC and HTTP+JSON transport factories and the card resolver with the SDK's
// 0.3 compatibility enabled, so a 0.3 card gets the SDK's v0.3 transport), and runs the checks once
// per binding the card offers (both and 1.0: JSON-RPC and HTTP+JSON; 0.3: JSON-RPC): the card,
// send, stream, input-required and its answer, get (and of an unknown task), cancel (running and
// finished), resubscribe, list (0.3 has no ListTasks: SKIP), push configs (create, get, list,
// delete). Prints PASS/FAIL/SKIP per check and a closing count; exits 1 if any check failed.
// Everything it starts is stopped by its pid. --node-modules DIR as for dev/js_agent.mjs.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
let opts;
try {
  opts = parseArgs({ options: {
    'node-modules': { type: 'string' },
    handler: { type: 'string', default: join(HERE, '..', 'handler.py') },
    python: { type: 'string', default: 'python3' }, protocol: { type: 'string', multiple: true },
  } }).values;
} catch (e) {
  process.stderr.write(`js_client.mjs: error: ${e.message}\n`);
  process.exit(2);
}
const protocols = opts.protocol || ['both', '1.0', '0.3'];
if (protocols.some((p) => !['both', '1.0', '0.3'].includes(p))) {
  process.stderr.write('js_client.mjs: error: --protocol must be both, 1.0 or 0.3\n');
  process.exit(2);
}
const modules = resolve(opts['node-modules'] || process.env.A2A_JS_NODE_MODULES || 'node_modules');
const require = createRequire(join(modules, '..', 'js_client.cjs'));
let sdk, client;
try {
  sdk = require('@a2a-js/sdk');
  client = require('@a2a-js/sdk/client');
} catch (e) {
  process.stderr.write(`js_client.mjs: error: cannot load @a2a-js/sdk from ${modules}: ` +
                       `${e.message}\n`);
  process.exit(2);
}
const { TaskState, Role } = sdk;
const { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, RestTransportFactory,
  DefaultAgentCardResolver } = client;

const counts = { PASS: 0, FAIL: 0, SKIP: 0 };
function report(verdict, name, why = '') {
  counts[verdict] += 1;
  console.log(`${verdict}  ${name}${why ? '  -- ' + why : ''}`);
}
class Fail extends Error {}
const expect = (ok, why) => {
  if (!ok) throw new Fail(why);
};
const stateName = (s) => sdk.taskStateToJSON ? sdk.taskStateToJSON(s) : String(s);
const textPart = (text) => ({ content: { $case: 'text', value: text }, metadata: undefined,
  filename: '', mediaType: 'text/plain' });
const message = (text, extra = {}) => ({
  messageId: randomUUID(), role: Role.ROLE_USER, parts: [textPart(text)], contextId: '', taskId: '',
  extensions: [], metadata: {}, referenceTaskIds: [], ...extra,
});
const request = (text, extra = {}, configuration = {}) => ({
  tenant: '', message: message(text, extra), metadata: undefined,
  configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined,
                   ...configuration },
});
const taskOf = (result) => {   // a send's result: a Task (the SDK returns the payload's value)
  const value = result?.payload ? result.payload.value : result;
  expect(value && value.id && value.status,
         `the result is not a task: ${JSON.stringify(result)?.slice(0, 200)}`);
  return value;
};
const texts = (task) => (task.artifacts || []).flatMap((a) => a.parts || [])
  .filter((p) => p.content?.$case === 'text').map((p) => p.content.value).join('');
const S = TaskState;
const expectState = (task, state) => expect(task.status?.state === state,
                                            `state ${stateName(task.status?.state)}`);
const expectLast = (events, state) => expect(lastState(events) === state,
                                             `last state ${stateName(lastState(events))}`);
const later = { returnImmediately: true };
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function collect(stream) {
  const events = [];
  for await (const ev of stream) events.push(ev);
  return events;
}
function lastState(events) {
  let state;
  for (const ev of events) {
    const p = ev.payload || {};
    if (p.$case === 'task') state = p.value.status?.state;
    if (p.$case === 'statusUpdate') state = p.value.status?.state;
  }
  return state;
}
async function throwsA2A(promise, name) {
  try {
    await promise;
  } catch (e) {
    const got = `${e.constructor?.name}: ${e.message}`;
    expect(got.includes(name) || (e.code !== undefined && String(e.code) === String(name)),
           `threw ${got}, expected ${name}`);
    return;
  }
  throw new Fail(`did not fail (expected ${name})`);
}

async function checks(c, v03, label) {
  const st = {};
  const run = async (name, fn) => {
    try {
      const skip = await fn();
      if (typeof skip === 'string') report('SKIP', `${label}: ${name}`, skip);
      else report('PASS', `${label}: ${name}`);
    } catch (e) {
      const why = e instanceof Fail ? e.message : `${e.constructor?.name}: ${e.message}`;
      report('FAIL', `${label}: ${name}`, why);
    }
  };
  await run('card', async () => {
    const card = await c.getAgentCard();
    expect(card.name === 'Handler Echo Agent', `card name ${card.name}`);
    expect(c.protocolVersion.startsWith(v03 ? '0.3' : '1.'),
           `the client speaks A2A ${c.protocolVersion}`);
  });
  await run('send', async () => {
    const task = taskOf(await c.sendMessage(request('hello')));
    expectState(task, S.TASK_STATE_COMPLETED);
    expect(texts(task).includes('Echo: hello'), `artifact text ${JSON.stringify(texts(task))}`);
    st.task = task;
  });
  await run('stream', async () => {
    const events = await collect(c.sendMessageStream(request('hi there')));
    expect(events.some((e) => e.payload?.$case === 'artifactUpdate'), 'no artifact-update event');
    expectLast(events, S.TASK_STATE_COMPLETED);
    const text = events.filter((e) => e.payload?.$case === 'artifactUpdate')
      .flatMap((e) => e.payload.value.artifact.parts).map((p) => p.content?.value).join('');
    expect(text.includes('hi') && text.includes('there'),
           `the chunks hold ${JSON.stringify(text)}`);
  });
  await run('input-required, then its answer', async () => {
    const asked = taskOf(await c.sendMessage(request('ask me')));
    expectState(asked, S.TASK_STATE_INPUT_REQUIRED);
    const answer = request('blue', { taskId: asked.id, contextId: asked.contextId });
    const done = taskOf(await c.sendMessage(answer));
    expect(done.id === asked.id, 'the answer made another task');
    expectState(done, S.TASK_STATE_COMPLETED);
    expect(texts(done).includes('blue'), `artifact text ${JSON.stringify(texts(done))}`);
  });
  await run('get', async () => {
    expect(st.task, 'needs the task of send');
    const task = await c.getTask({ tenant: '', id: st.task.id });
    expect(task.id === st.task.id && task.status.state === TaskState.TASK_STATE_COMPLETED,
           `got ${task.id} ${stateName(task.status.state)}`);
  });
  await run('get of an unknown task', () => throwsA2A(c.getTask({ tenant: '', id: 'no-such-task' }),
                                                       'TaskNotFound'));
  await run('cancel, a running task', async () => {
    const started = taskOf(await c.sendMessage(request('slow cancel me', {}, later)));
    expect(started.status.state !== S.TASK_STATE_COMPLETED, 'the slow task had finished at once');
    const canceled = await c.cancelTask({ tenant: '', id: started.id, metadata: undefined });
    expectState(canceled, S.TASK_STATE_CANCELED);
  });
  await run('cancel, a finished task', async () => {
    expect(st.task, 'needs the task of send');
    await throwsA2A(c.cancelTask({ tenant: '', id: st.task.id, metadata: undefined }),
                    'NotCancelable');
  });
  await run('resubscribe', async () => {
    const task = taskOf(await c.sendMessage(request('slow follow', {}, later)));
    expect(task.status.state !== S.TASK_STATE_COMPLETED, 'the slow task had finished at once');
    const events = await collect(c.resubscribeTask({ tenant: '', id: task.id }));
    expectLast(events, S.TASK_STATE_COMPLETED);
  });
  await run('list', async () => {
    if (v03) return 'A2A 0.3 has no ListTasks (the SDK\'s v0.3 transport does not offer it)';
    const listed = await c.listTasks({ tenant: '', contextId: '', status: S.TASK_STATE_UNSPECIFIED,
                                       pageSize: 100, pageToken: '' });
    const ids = listed.tasks.map((t) => t.id);
    expect(st.task && ids.includes(st.task.id), `the sent task is not among ${ids.length} listed`);
  });
  await run('push configs: create, get, list, delete', async () => {
    expect(st.task, 'needs the task of send');
    const taskId = st.task.id;
    const made = await c.createTaskPushNotificationConfig({
      tenant: '', id: 'js-cfg', taskId, url: 'http://127.0.0.1:9/hook', token: 'js-token',
      authentication: undefined });
    expect(made.taskId === taskId && made.url === 'http://127.0.0.1:9/hook',
           `created ${JSON.stringify(made)}`);
    const id = made.id || 'js-cfg';
    const got = await c.getTaskPushNotificationConfig({ tenant: '', taskId, id });
    expect(got.url === 'http://127.0.0.1:9/hook', `got ${JSON.stringify(got)}`);
    const page = { tenant: '', taskId, pageSize: 0, pageToken: '' };
    const configs = (await c.listTaskPushNotificationConfig(page)).configs || [];
    expect(configs.some((x) => x.id === id), `listed ${JSON.stringify(configs)}`);
    await c.deleteTaskPushNotificationConfig({ tenant: '', taskId, id });
    const after = await c.listTaskPushNotificationConfig(page);
    expect(!(after.configs || []).some((x) => x.id === id), `still listed after delete`);
  });
}

function startAgent(protocol, home) {
  return new Promise((done) => {
    const argv = [opts.handler, 'server', 'agent', '--host', '127.0.0.1', '--port', '0',
                  '--protocol', protocol];
    const proc = spawn(opts.python, argv,
                       { env: { ...process.env, HANDLER_HOME: home, NO_PROXY: '*', no_proxy: '*' },
                         stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    const timer = setTimeout(() => done({ proc, url: null, why: 'no banner within 30 s' }), 30000);
    const look = (chunk) => {
      seen += chunk;
      const m = /Handler echo agent on (http:\/\/\S+?)[\s/]/.exec(seen);
      if (m) {
        clearTimeout(timer);
        done({ proc, url: m[1] });
      }
    };
    proc.stdout.on('data', look);
    proc.stderr.on('data', look);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      done({ proc, url: null, why: `exited with ${code}: ${seen.trim().slice(-300)}` });
    });
  });
}

function factory(binding) {
  const legacy = { legacyCompat: { enabled: true } };
  return new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
    transports: [new JsonRpcTransportFactory(legacy), new RestTransportFactory(legacy)],
    cardResolver: new DefaultAgentCardResolver(legacy),
    preferredTransports: [binding],
  }));
}

const started = Date.now();
for (const protocol of protocols) {
  const home = mkdtempSync(join(tmpdir(), 'handler-js-client-'));
  const { proc, url, why } = await startAgent(protocol, home);
  console.log(`== handler.py server agent --protocol ${protocol}: ${url || 'not started'}`);
  try {
    if (!url) {
      report('FAIL', `server agent --protocol ${protocol} starts`, why);
      continue;
    }
    for (const binding of protocol === '0.3' ? ['JSONRPC'] : ['JSONRPC', 'HTTP+JSON']) {
      const label = `--protocol ${protocol}, ${binding}`;
      let c;
      try {
        c = await factory(binding).createFromUrl(url);
      } catch (e) {
        report('FAIL', `${label}: a client from the card`, `${e.constructor?.name}: ${e.message}`);
        continue;
      }
      if (c.transport.protocolName !== binding) {
        report('FAIL', `${label}: a client from the card`,
               `the SDK chose ${c.transport.protocolName}`);
        continue;
      }
      await checks(c, protocol === '0.3', label);
    }
  } finally {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');   // by its pid
      await Promise.race([new Promise((done) => proc.on('exit', done)), sleep(5000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    rmSync(home, { recursive: true, force: true });
  }
}
console.log(`${counts.FAIL ? 'FAILED' : 'OK'}: ${counts.PASS} passed, ${counts.FAIL} failed, ` +
            `${counts.SKIP} skipped (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exit(counts.FAIL ? 1 : 0);
