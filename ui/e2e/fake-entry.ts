// Browser entry for Playwright: installs the fake before the app's code runs and exposes it
// as `window.__hushFake` so specs can drive events and read recorded copies.
import { installFakeBackend, type FakeBackend, type FakeOptions } from './fake-backend';

declare global {
  interface Window {
    __hushFakeOptions?: FakeOptions;
    __hushFake?: FakeBackend;
  }
}

window.__hushFake = installFakeBackend(window.__hushFakeOptions ?? {});
