// The backup forms' own checks (Settings → Backup, and restoring on first run), made before
// anything reaches the shell. The shell checks again; these only spare a round trip and word the
// problem next to the field that has it.

/** The shortest passphrase a new backup accepts (as `hush_core::backup`). */
export const MIN_BACKUP_PASSPHRASE = 12;

/** A form problem and the field to put the cursor in. */
export interface FormProblem<F extends string> {
  message: string;
  field: F;
}

/** What is wrong with "Make backup"'s fields, or null. */
export function newBackupProblem(path: string, passphrase: string, confirm: string): FormProblem<'path' | 'passphrase' | 'confirm'> | null {
  if (path.trim() === '') return { field: 'path', message: 'Enter where to write the backup, such as ~/hush-backup.age.' };
  if ([...passphrase].length < MIN_BACKUP_PASSPHRASE) {
    return {
      field: 'passphrase',
      message: `The backup passphrase must be at least ${MIN_BACKUP_PASSPHRASE} characters: it is all that protects the plaintext copy of your secrets inside the backup.`,
    };
  }
  if (confirm !== passphrase) return { field: 'confirm', message: 'The passphrases do not match.' };
  return null;
}

/**
 * What is wrong with a restore form's fields, or null. `storeExists`: this device has a store,
 * which a restore replaces only when "Replace the current store" (`replace`) is ticked. On first
 * run there is none and no such box.
 */
export function restoreProblem(
  path: string,
  passphrase: string,
  storeExists: boolean,
  replace: boolean,
): FormProblem<'path' | 'passphrase' | 'replace'> | null {
  if (path.trim() === '' || passphrase === '') {
    return { field: path.trim() === '' ? 'path' : 'passphrase', message: 'Enter the backup file and its passphrase.' };
  }
  if (storeExists && !replace) {
    return {
      field: 'replace',
      message: 'Hush already has a store here: tick "Replace the current store" to restore over it (the current one is kept, renamed).',
    };
  }
  return null;
}
