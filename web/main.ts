/** The web app's entry: starts the engine worker with the default rule pack and mounts <vigil-app>. */
import './components/app-shell.js';
import { DEFAULTS } from './defaults.js';
import { store } from './state/store.js';

const params = new URLSearchParams(location.search);
// ?reset: forget what was saved and start from the defaults; ?memory: do not persist.
// The simulator starts two minutes in the past and catches up, so the first one-minute windows close and
// alerts show within seconds of loading.
const started = store.start(DEFAULTS, { reset: params.has('reset'), persist: !params.has('memory'), simulatorWarmupMs: 120_000 });
// ?reset is a one-off: once applied it leaves the address, so a reload keeps what was saved since.
if (params.has('reset')) {
  void started.finally(() => {
    const next = new URLSearchParams(location.search);
    next.delete('reset');
    const query = next.toString();
    history.replaceState(history.state, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  });
}

// Keep open windows and state machines across a reload: a checkpoint when the page goes away or is
// hidden (the worker also saves one every 10 s).
window.addEventListener('pagehide', () => store.checkpointNow());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') store.checkpointNow();
});
