// The settings page (#/settings): where Grafana lives, kept in this
// browser's localStorage.

import { fill, h, nextFrame } from './dom.js';
import { clearLayouts } from './layout.js';
import { loadSettings, markReady, saveSettings } from './state.js';

// SettingsPage is the mounted settings page.
export class SettingsPage {
  constructor(el, route, app) {
    this.navStart = route.t0;
    const s = loadSettings();
    const url = h('input', { name: 'grafanaURL', type: 'url', value: s.grafanaURL, placeholder: 'http://grafana.example:3000', size: 40 });
    const ds = h('input', { name: 'grafanaDatasource', value: s.grafanaDatasource, placeholder: 'pipewatch', size: 20 });
    const out = h('p', { class: 'form-out' });
    fill(el, h('section', { class: 'settings-page' },
      h('div', { class: 'page-head' }, h('h2', null, 'Settings'), h('p', { class: 'muted' }, 'Stored in this browser only.')),
      h('form', { class: 'settings', onsubmit: (ev) => {
        ev.preventDefault();
        const v = url.value.trim();
        if (v && !/^https?:\/\//i.test(v)) {
          out.className = 'form-out error';
          out.textContent = 'The Grafana URL must start with http:// or https://';
          return;
        }
        saveSettings({ grafanaURL: v, grafanaDatasource: ds.value.trim() });
        app.settingsChanged();
        out.className = 'form-out ok';
        out.textContent = 'Saved.';
      } },
      h('label', null, 'Grafana base URL', url, h('small', { class: 'muted' }, 'Node panels link each series to Grafana Explore at this address. Leave empty to hide the links.')),
      h('label', null, 'Grafana datasource UID', ds, h('small', { class: 'muted' }, 'The UID of the Prometheus datasource that points at pipewatch.')),
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save'),
        h('button', { type: 'button', onclick: () => { clearLayouts(); out.className = 'form-out ok'; out.textContent = 'Cached graph layouts cleared.'; } }, 'Clear cached layouts')),
      out),
      h('p', { class: 'muted' }, 'pipewatch bundles third-party software: ', h('a', { href: 'THIRD_PARTY_LICENSES.txt' }, 'licences'), '.')));
    nextFrame().then(() => markReady('settings', this.navStart));
  }

  refresh() {}

  unmount() {}
}
