// Drives Parley's web client in the system's headless Chromium.
//
//   node browser.mjs '<json>'
//
// The JSON argument: {url, mode, jid, password, contact, send, expect,
// artifacts, chromium, timeoutMs}. mode "smoke" loads the page and checks
// the login form appears without errors or requests to other origins; mode
// "chat" also logs in, waits for the contact to be online, sends `send`,
// waits for `expect`, reloads and checks that the same BOSH session resumes
// without a new SASL exchange and that the conversation is still shown, and
// saves screenshots. Each check prints "ok <name>"; the last line is
// "RESULT <json>". The exit status is 0 only when every check passed.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const opts = JSON.parse(process.argv[2] || '{}');
const timeout = opts.timeoutMs || 20000;
const origin = new URL(opts.url).origin;
const result = { checks: [], foreign: [], errors: [], xmppErrors: [], csp: [], sids: [], sasl: 0, creates: 0 };

// message finds the chat message whose whole text is `text`.
function message(page, text) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return page.locator('.chat-msg__text').filter({ hasText: new RegExp(`^\\s*${escaped}\\s*$`) }).first();
}

function ok(name, detail) {
  result.checks.push(name);
  console.log(`ok ${name}${detail ? ': ' + detail : ''}`);
}

// watchBOSH records, from the request bodies, the BOSH sids used, session
// creation requests (a body without sid, XEP-0124 §7.1) and SASL <auth/>.
function watchBOSH(req) {
  if (req.method() !== 'POST') return;
  const body = req.postData() || '';
  if (!body.includes('http://jabber.org/protocol/httpbind')) return;
  const sid = /\bsid=['"]([^'"]+)['"]/.exec(body);
  if (sid) {
    if (!result.sids.includes(sid[1])) result.sids.push(sid[1]);
  } else {
    result.creates++;
  }
  if (/<auth[\s>][^>]*urn:ietf:params:xml:ns:xmpp-sasl/.test(body)) result.sasl++;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-chromium-'));
  const context = await chromium.launchPersistentContext(dataDir, {
    executablePath: opts.chromium || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
  });
  try {
    await run(context);
  } finally {
    await context.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function run(context) {
  context.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) {
      result.foreign.push(u);
    }
    watchBOSH(req);
  });
  if (opts.debug) {
    // Transcript of the BOSH exchanges, for diagnosing a failing scenario.
    context.on('request', (req) => {
      if (req.method() === 'POST') console.log(`C: ${req.postData()}`);
    });
    context.on('response', async (resp) => {
      if (resp.request().method() === 'POST') console.log(`S: ${resp.status()} ${await resp.text().catch(() => '')}`);
    });
  }
  // Ask for nothing we do not serve; abort anything foreign so the test
  // never touches the network.
  await context.route((u) => u.origin !== origin && u.protocol !== 'data:' && u.protocol !== 'blob:',
    (route) => route.abort());
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(timeout);
  page.on('pageerror', (e) => result.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Converse.js logs the error replies to queries for features the
    // server lacks (PEP, MAM...) as console errors; the user sees nothing.
    if (m.type() === 'error' && /^<iq [^>]*type="error"/.test(m.text())) result.xmppErrors.push(m.text().slice(0, 300));
    else if (m.type() === 'error') result.errors.push(`console: ${m.text()}`);
    else if (opts.debug) console.log(`console.${m.type()}: ${m.text().slice(0, 300)}`);
  });
  page.on('response', (resp) => {
    if (resp.status() >= 400) result.errors.push(`HTTP ${resp.status()} ${resp.url()}`);
  });

  // (a) the page loads and Converse.js shows its login form.
  await page.goto(opts.url, { waitUntil: 'load' });
  await page.waitForSelector('#converse-login-jid', { state: 'visible' });
  ok('page loaded', await page.title());

  if (opts.mode === 'chat') {
    try {
      await chat(page);
    } catch (err) {
      // Leave a picture of what went wrong next to the other artifacts.
      await screenshot(page, 'failure.png').catch(() => {});
      throw err;
    }
  } else if (opts.artifacts) {
    await screenshot(page, 'login.png');
  }

  result.csp = await page.evaluate(() => window.__csp);
  // (b) nothing left the origin.
  if (result.foreign.length) throw new Error(`requests left the origin: ${result.foreign.join(', ')}`);
  ok('no request left the origin');
  if (result.csp.length) throw new Error(`CSP violations: ${result.csp.join('; ')}`);
  ok('no CSP violation');
  if (result.errors.length) throw new Error(`errors in the page: ${result.errors.join('; ')}`);
  ok('no error in the page');
}

async function chat(page) {
  const [local] = opts.jid.split('@');
  // (c) log in through the form; with a locked domain the form asks for
  // the localpart only.
  const locked = await page.locator('#converse-login-jid + .input-group-text, .input-group-text.addon').count();
  await page.fill('#converse-login-jid', locked ? local : opts.jid);
  await page.fill('#converse-login-password', opts.password);
  await page.click('#converse-login button[type=submit]');
  ok('logged in via the form');

  // (d) the contact is shown online.
  const contact = page.locator(`a.open-chat[data-jid="${opts.contact}"]`);
  await contact.locator('.contact-name--online').waitFor();
  ok('contact online', opts.contact);

  // (e) send a message and receive the reply.
  await contact.click();
  const box = page.locator('.chat-textarea');
  await box.fill(opts.send);
  await box.press('Enter');
  await message(page, opts.expect).waitFor();
  ok('message sent and reply received', opts.expect);
  await screenshot(page, 'chat.png');

  // (f) reload: same BOSH session, no new SASL exchange, history shown.
  const sidsBefore = [...result.sids];
  const saslBefore = result.sasl;
  const createsBefore = result.creates;
  await page.reload({ waitUntil: 'load' });
  await message(page, opts.expect).waitFor();
  await message(page, opts.send).waitFor();
  await contact.locator('.contact-name--online').waitFor();
  if (result.creates !== createsBefore || result.sasl !== saslBefore) {
    throw new Error(`reload created a new session: creations ${createsBefore}->${result.creates}, SASL ${saslBefore}->${result.sasl}`);
  }
  if (result.sids.length !== 1 || sidsBefore.length !== 1) {
    throw new Error(`BOSH sids before ${sidsBefore} after ${result.sids}`);
  }
  ok('reload resumed the BOSH session', result.sids[0]);
  await screenshot(page, 'chat-after-reload.png');
}

async function screenshot(page, name) {
  mkdirSync(opts.artifacts, { recursive: true });
  const file = join(opts.artifacts, name);
  await page.screenshot({ path: file });
  ok('screenshot', file);
}

main().then(
  () => {
    console.log('RESULT ' + JSON.stringify({ ok: true, ...result }));
  },
  (err) => {
    console.log('RESULT ' + JSON.stringify({ ok: false, error: String(err && err.stack || err), ...result }));
    process.exitCode = 1;
  },
);
