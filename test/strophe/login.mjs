// Strophe.js logs in to Parley over BOSH under node, answers one message
// and logs out. Usage: node login.mjs BOSH_URL JID PASSWORD
// It prints one line per event, prefixed with "@@ " ("connected <full
// jid>", "message <from> <body>", "disconnected") and exits 0 once the
// session is over.
import { DOMImplementation, DOMParser, XMLSerializer } from '@xmldom/xmldom';
import XMLHttpRequest2 from 'xhr2';

// Browser globals Strophe needs, from @xmldom/xmldom and xhr2. xhr2 has no
// responseXML; Strophe reads the BOSH response from it.
globalThis.DOMParser = DOMParser;
globalThis.XMLSerializer = XMLSerializer;
globalThis.document = new DOMImplementation().createDocument(null, null, null);
class XHR extends XMLHttpRequest2 {
  get responseXML() {
    if (this.readyState !== 4 || !this.responseText) return null;
    return new DOMParser().parseFromString(this.responseText, 'text/xml');
  }
}
globalThis.XMLHttpRequest = XHR;

const { Strophe, $pres, $msg } = await import('strophe.js');

const [url, jid, password] = process.argv.slice(2);
const say = (line) => process.stdout.write('@@ ' + line + '\n');
const timer = setTimeout(() => { say('timeout'); process.exit(2); }, 30000);

if (Strophe.setLogLevel) Strophe.setLogLevel(Strophe.LogLevel.WARN);
const conn = new Strophe.Connection(url);
conn.addHandler((m) => {
  const body = m.getElementsByTagName('body')[0];
  const from = m.getAttribute('from');
  if (!body) return true;
  say(`message ${from} ${Strophe.getText(body)}`);
  conn.send($msg({ to: from, type: 'chat' }).c('body').t('pong from strophe'));
  // Graceful logoff: the terminate request carries unavailable presence
  // (XEP-0124 §13).
  setTimeout(() => conn.disconnect('done'), 100);
  return false;
}, null, 'message', 'chat');

conn.connect(jid, password, (status, cond) => {
  switch (status) {
    case Strophe.Status.CONNECTED:
      conn.send($pres());
      say(`connected ${conn.jid}`);
      break;
    case Strophe.Status.AUTHFAIL:
    case Strophe.Status.CONNFAIL:
      say(`failed ${status} ${cond || ''}`);
      process.exit(1);
      break;
    case Strophe.Status.DISCONNECTED:
      say('disconnected');
      clearTimeout(timer);
      process.exit(0);
  }
});
