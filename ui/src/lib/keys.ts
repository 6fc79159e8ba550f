// Keyboard helpers. "Mod" is ⌘ on macOS and Ctrl elsewhere.

export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

export function isMod(e: KeyboardEvent): boolean {
  return isMac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
}

/** Text the shortcut shows, e.g. "⌘K" or "Ctrl K". */
export function modLabel(key: string): string {
  return isMac ? `⌘${key}` : `Ctrl ${key}`;
}

/** True when a text field has a non-empty selection (so Ctrl+C should copy that text). */
export function hasTextSelection(target: EventTarget | null): boolean {
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) {
    return target.selectionStart !== null && target.selectionStart !== target.selectionEnd;
  }
  const sel = typeof window !== 'undefined' ? window.getSelection() : null;
  return sel !== null && sel.toString() !== '';
}

export function isTypingTarget(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable)
  );
}
