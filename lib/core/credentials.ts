/**
 * Recognizing credentials given as values where the model wants references: a URL with a
 * password, a `password=` parameter, a private key, a setting named like a secret. The
 * validations of props that could carry one (backend settings, user data, URLs, flags) call
 * these and refuse the value with the fix; the messages never repeat it.
 */

/** `scheme://user:password@` (the user may be empty, as in `redis://:password@host`). */
const URL_WITH_PASSWORD = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:]*:[^\s/?#@]+@/;

/** `password=…` and the like, as in a query string or a libpq connection string. */
const PASSWORD_PARAMETER = /(?:^|[\s?&;])(?:password|passwd|pwd|sslpassword|secret|token|access_token|api_key|apikey)=[^\s&;]/i;

/** The armor of a private key (PEM, OpenSSH). */
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * The kind of credential a text holds, for messages ("a URL with a password"), or undefined when
 * it holds none that can be recognized. Never the credential itself.
 */
export function credentialInText(text: string): string | undefined {
  if (URL_WITH_PASSWORD.test(text)) {
    return 'a URL with a password';
  }
  if (PRIVATE_KEY.test(text)) {
    return 'a private key';
  }
  if (PASSWORD_PARAMETER.test(text)) {
    return 'a password or token parameter';
  }
  return undefined;
}

/** Words that end a setting's name when it names where a secret is, not the secret (`token_file`). */
const REFERENCE_SUFFIXES = new Set(['file', 'files', 'path', 'dir', 'env', 'id', 'arn', 'name', 'command', 'cmd', 'url']);

/** Words that make a setting's name a credential's. */
const CREDENTIAL_WORDS = new Set(['password', 'passwd', 'passphrase', 'pwd', 'secret', 'token', 'credential', 'credentials', 'private']);

/** Words that make `<word>_key` a credential (`access_key`, not the s3 backend's `key`). */
const KEY_QUALIFIERS = new Set(['access', 'secret', 'private', 'api', 'encryption', 'master', 'shared', 'account', 'auth', 'signing']);

/**
 * Does a setting with this name hold a credential (`secret_key`, `password`, `sas_token`,
 * `clientSecret`)? Names of references (`token_file`, `shared_credentials_file`, `kms_key_id`)
 * do not.
 */
export function isCredentialName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  if (words.length === 0 || REFERENCE_SUFFIXES.has(words[words.length - 1])) {
    return false;
  }
  if (words.some((w) => CREDENTIAL_WORDS.has(w)) || words[words.length - 1] === 'auth') {
    return true;
  }
  return words.some((w, i) => (w === 'key' || w === 'keys') && i > 0 && KEY_QUALIFIERS.has(words[i - 1]));
}

/** The text with the password of every URL in it replaced by `***` (`https://max:***@dav.example.org`). */
export function maskUrlPasswords(text: string): string {
  return text.replace(new RegExp(URL_WITH_PASSWORD.source, 'g'), (match) => {
    const scheme = match.indexOf('://') + 3;
    const colon = match.indexOf(':', scheme);
    return `${match.slice(0, colon)}:***@`;
  });
}

/**
 * What credential a URL carries, for messages about a URL prop ("a password" for
 * `user:password@`), or undefined when it carries none that can be recognized.
 */
export function urlCredential(url: string): string | undefined {
  const kind = credentialInText(url);
  return kind === 'a URL with a password' ? 'a password (user:password@)' : kind;
}
