/**
 * What raw cloud-config user data gives away: the places in it that hold a credential (a
 * password of `users`, `chpasswd`'s list, a private host key, a URL with a password). User data
 * is uploaded as a snippet from the stack's Terraform JSON, so none of them may be there.
 */
import { parse } from 'yaml';
import { credentialInText, isCredentialName } from '../core/credentials';

/**
 * The places in cloud-config user data that hold a credential (`users[0].passwd`,
 * `chpasswd.list`), in document order; never the values. Text that is not YAML is read line by
 * line.
 */
export function userDataCredentials(userData: string): string[] {
  let document: unknown;
  try {
    document = parse(userData);
  } catch {
    return credentialLines(userData);
  }
  const places: string[] = [];
  walk(document, '', undefined, places);
  return places;
}

function walk(value: unknown, path: string, parentKey: string | undefined, places: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, `${path}[${i}]`, parentKey, places));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, member] of Object.entries(value)) {
      const place = path === '' ? label(key) : `${path}.${label(key)}`;
      const holdsValue = (typeof member === 'string' && member.trim() !== '') || typeof member === 'number';
      // `chpasswd: { list: "user:password …" }` (the older form) names no password key.
      if (holdsValue && (isCredentialName(key) || (key === 'list' && parentKey === 'chpasswd'))) {
        places.push(place);
      } else if (key === 'list' && parentKey === 'chpasswd' && Array.isArray(member) && member.length > 0) {
        places.push(place);
      } else {
        walk(member, place, key, places);
      }
    }
  } else if (typeof value === 'string' && credentialInText(value) !== undefined) {
    places.push(path === '' ? 'the text' : path);
  }
}

/** A key as shown in a message: plain keys as they are, others not at all. */
function label(key: string): string {
  return /^[A-Za-z0-9_-]{1,40}$/.test(key) ? key : '…';
}

function credentialLines(text: string): string[] {
  const places: string[] = [];
  text.split('\n').forEach((line, i) => {
    const member = /^\s*(?:-\s*)?([A-Za-z_][A-Za-z0-9_-]*)\s*:\s*(\S.*)?$/.exec(line);
    const value = member?.[2]?.trim();
    const credentialMember = member !== null && value !== undefined && !/^(true|false|null|~)$/i.test(value) && isCredentialName(member[1]);
    if (credentialMember || credentialInText(line) !== undefined) {
      places.push(`line ${i + 1}`);
    }
  });
  return places;
}
