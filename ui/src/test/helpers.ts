import { flushSync } from 'svelte';

/** Lets pending promises, timers and animation frames run, then flushes Svelte. */
export async function settle(rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    // 20 ms covers one jsdom animation frame (it runs them on a ~16 ms timer).
    await new Promise((r) => setTimeout(r, i === 0 ? 20 : 0));
    flushSync();
  }
}
