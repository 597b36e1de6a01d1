// Starts the bundled Converse.js with the configuration the server put in
// the page. The configuration is a JSON data block, not a script, so the
// Content-Security-Policy needs no 'unsafe-inline' for scripts.
import bundled from './converse.min.js';

const converse = bundled || window.converse;
const config = JSON.parse(document.getElementById('parley-config').textContent);
const license = new URL('LICENSE', import.meta.url).href;

// The full-screen footer of Converse.js shows its sponsors' logos, loaded
// from the project's web site. Parley's page loads nothing from other
// origins, so this plugin replaces the footer with one that keeps the
// version and attribution without them. Plugins initialise before
// Converse.js registers its custom elements, so the override takes effect.
converse.plugins.add('parley', {
  initialize() {
    const { api } = this._converse;
    const { html, VERSION_NAME } = converse.env;
    const Base = api.elements.registry['converse-footer'];
    if (!Base) return;
    class ParleyFooter extends Base {
      render() {
        if (api.settings.get('view_mode') !== 'fullscreen') return '';
        return html`<footer class="footer mt-auto py-3 pb-3">
          <div class="container"><div class="row"><div class="col-12 text-center">
            <p class="brand-subtitle mb-2 subdued">Version: ${VERSION_NAME}</p>
            <p class="brand-subtitle mb-2">
              <a target="_blank" rel="noopener noreferrer" href="https://github.com/conversejs/converse.js">Open Source</a>
              XMPP chat client brought to you by
              <a target="_blank" rel="noopener noreferrer" href="https://opkode.com/about">Opkode</a>
              (<a target="_blank" rel="noopener noreferrer" href="${license}">MPL-2.0</a>), served by Parley.
            </p>
          </div></div></div>
        </footer>`;
      }
    }
    api.elements.define('converse-footer', ParleyFooter);
  },
});

config.whitelisted_plugins = [...(config.whitelisted_plugins || []), 'parley'];
converse.initialize(config);
