// Starts a Clientele server of its own (a free port, a fresh SQLite file in a temp dir),
// makes two firms with the CLI, seeds them over HTTP, and writes what it made to a JSON
// file whose path is in CLIENTELE_SEED (fixtures.mjs reads it). Returns the teardown.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIRMS, seedFirm, seedShowcaseExtras, seedWebhook } from './seed.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url, child, logFile) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '';
  throw new Error(`clientele serve did not become ready at ${url} (exit ${child.exitCode})\n${log}`);
}

// The HTTP API with one key: (method, path, body?) → {status, body}.
function caller(url, key) {
  return async (method, p, body) => {
    const r = await fetch(url + p, {
      method,
      headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
    return { status: r.status, body: parsed };
  };
}

// Receives the seeded webhook's deliveries, so the webhooks screen has successful ones.
function startHookReceiver() {
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      req.resume();
      req.on('end', () => { res.writeHead(204); res.end(); });
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

// Every asset the pages load statically (HTML's script/link, JS's static imports, CSS's
// url()), fetched once: a missing one breaks a whole page, and failing here says which
// instead of every test timing out. (E.g. a file not yet in src/api/assets.rs.)
async function checkAssets(url, pages) {
  const seen = new Set();
  const missing = [];
  const queue = [...pages];
  while (queue.length) {
    const p = queue.shift();
    if (seen.has(p)) continue;
    seen.add(p);
    const r = await fetch(url + p);
    if (!r.ok) { missing.push(`${r.status} ${p}`); continue; }
    const text = await r.text();
    const refs = [];
    if (pages.includes(p)) {
      for (const m of text.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="(\/assets\/[^"]+)"/g)) refs.push(m[1]);
    } else if (p.endsWith('.js')) {
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
        refs.push(new URL(m[1] ?? m[2], url + p).pathname);
      }
    } else if (p.endsWith('.css')) {
      for (const m of text.matchAll(/url\(\s*['"]?([^'")]+)['"]?\s*\)/g)) {
        if (!m[1].startsWith('data:')) refs.push(new URL(m[1], url + p).pathname);
      }
    }
    queue.push(...refs);
  }
  if (missing.length) {
    throw new Error(`the server does not serve assets its pages load:\n  ${missing.join('\n  ')}\n` +
      '(embedded assets must be listed in src/api/assets.rs; or set CLIENTELE_ASSETS_DIR)');
  }
}

export default async function globalSetup() {
  const bin = process.env.CLIENTELE_BIN || path.join(repo, 'target', 'debug', 'clientele');
  if (!existsSync(bin)) {
    throw new Error(`no server binary at ${bin}: run \`cargo build\` first, or set CLIENTELE_BIN`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'clientele-browser-'));
  const db = `sqlite://${path.join(dir, 'c.db')}`;
  // The server's own env knobs must not leak into the test server (the flags win anyway,
  // but CLIENTELE_DATABASE_URL etc. would confuse the CLI runs).
  const env = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !k.startsWith('CLIENTELE_') || k === 'CLIENTELE_ASSETS_DIR'));

  // Firms A and B for the specs, and a third seeded like A for screenshots.spec.mjs, so
  // its pictures show the seed and not what other specs create.
  const plan = [[FIRMS[0], 0], [FIRMS[1], 1], [FIRMS[0], 0]];
  const made = plan.map(([f]) => {
    const out = execFileSync(bin, ['firms', 'create', '--name', f.name, '--database-url', db],
      { env, encoding: 'utf8' });
    const j = JSON.parse(out);
    return { id: j.firm.id, name: j.firm.name, adminKey: j.admin_key.secret };
  });

  const hooks = await startHookReceiver();
  // A name for the receiver (resolved to it by the server), for a realistic webhooks screen.
  const hookHost = 'hooks.harborlane.test';
  const hookUrl = `http://${hookHost}:${hooks.address().port}/clientele`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'server.log');
  const log = openSync(logFile, 'a');
  // The server runs under a small sh that stops it when its stdin closes: at teardown, and
  // also when the test runner dies without one (Ctrl-C, a broken pipe, SIGKILL), so no
  // server outlives its run; then it removes the temp dir too (unless KEEP_BROWSER_TMP).
  // The sh exits with the server, so a failed start shows at once.
  const args = [
    'serve', '--bind', `127.0.0.1:${port}`, '--database-url', db,
    // Tests sign in and fail on purpose many times a minute from one address.
    '--failed-auth-per-minute', '100000', '--rate-limit-per-minute', '100000',
    '--webhook-allow-hosts', `127.0.0.1,${hookHost}`, '--webhook-resolve', `${hookHost}=127.0.0.1`,
    '--webhook-retry-schedule', '1s,1s',
    // Totals past 30 say "more than" (clients.spec.mjs); 10,000 by default.
    '--count-exact-up-to', '30',
    '--purge-interval-secs', '0', '--log', 'warn',
  ];
  const watchdog = 'exec 3<&0; "$@" 3<&- </dev/null & pid=$!; ' +
    '(cat <&3 >/dev/null; kill $pid 2>/dev/null; while kill -0 $pid 2>/dev/null; do sleep 0.1; done; ' +
    '[ -n "$RM_DIR" ] && rm -rf "$RM_DIR") & exec 3<&-; wait $pid';
  const child = spawn('sh', ['-c', watchdog, 'sh', bin, ...args], {
    env: { ...env, RM_DIR: process.env.KEEP_BROWSER_TMP ? '' : dir },
    stdio: ['pipe', log, log],
  });

  const teardown = async () => {
    child.stdin.end();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    hooks.close();
    if (process.env.KEEP_BROWSER_TMP) console.log(`browser tests: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitReady(url, child, logFile);
    await checkAssets(url, ['/console', '/docs']);
    const firms = [];
    for (const [n, f] of made.entries()) {
      const [def, i] = plan[n];
      const call = caller(url, f.adminKey);
      const warn = (m) => console.warn(`WARNING ${m}`);
      // Harbor & Lane's webhook exists before its data, so its delivery log has the seed's events.
      const webhooks = i === 0 ? await seedWebhook(call, hookUrl, warn) : [];
      const firm = await seedFirm(def, i, f, call, warn);
      firm.webhooks = webhooks;
      // The showcase also gets what a firm in use has: integration keys and a web form.
      if (n === plan.length - 1) await seedShowcaseExtras(call, warn);
      firms.push(firm);
    }
    const showcase = firms.pop();
    const seed = { url, dir, passwords: firms.every((f) => f.passwords), firms, showcase };
    const seedFile = path.join(dir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify(seed, null, 2));
    process.env.CLIENTELE_SEED = seedFile;
    process.env.CLIENTELE_TEST_URL = url;
    console.log(`browser tests: server ${url} (${bin}), ` +
      `assets ${process.env.CLIENTELE_ASSETS_DIR || 'embedded'}, data ${dir}`);
  } catch (e) {
    await teardown();
    throw e;
  }
  return teardown;
}
