// Starts the bundled Converse.js with the configuration the server put in
// the page. The configuration is a JSON data block, not a script, so the
// Content-Security-Policy needs no 'unsafe-inline' for scripts.
import converse from './converse.min.js';

const el = document.getElementById('parley-config');
const config = JSON.parse(el.textContent);
(converse || window.converse).initialize(config);
