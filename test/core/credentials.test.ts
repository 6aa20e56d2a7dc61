import { describe, expect, it } from 'vitest';
import { credentialInText, isCredentialName, maskUrlPasswords } from '../../lib/core/credentials';

describe('credentialInText', () => {
  it.each([
    ['https://max:hunter2@dav.example.org/backups', 'a URL with a password'],
    ['redis://:hunter2@cache:6379', 'a URL with a password'],
    ['mysql://k3s:hunter2@tcp(db:3306)/k3s', 'a URL with a password'],
    ['host=db user=k3s password=hunter2', 'a password or token parameter'],
    ['https://api.example.org/v1?token=abc', 'a password or token parameter'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nabc', 'a private key'],
  ])('finds the credential in %s', (text, kind) => {
    expect(credentialInText(text)).toBe(kind);
  });

  it.each(['https://dav.example.org/backups', 'git+ssh://git@github.com/max/lab', 'https://example.org:8443/a@b', 'postgres://db.lab.example:5432/k3s?sslmode=verify-full', 'ssh-ed25519 AAAA max@laptop'])(
    'finds none in %s',
    (text) => {
      expect(credentialInText(text)).toBeUndefined();
    },
  );
});

describe('isCredentialName', () => {
  it.each(['password', 'secret_key', 'access_key', 'token', 'sas_token', 'clientSecret', 'client_certificate_password', 'plain_text_passwd', 'rsa_private', 'vpn-auth'])(
    'takes %s for a credential',
    (name) => {
      expect(isCredentialName(name)).toBe(true);
    },
  );

  it.each(['key', 'bucket', 'token_file', 'shared_credentials_file', 'kms_key_id', 'ssh_authorized_keys', 'ssh_pwauth', 'username', 'password_command'])('takes %s for no credential', (name) => {
    expect(isCredentialName(name)).toBe(false);
  });
});

describe('maskUrlPasswords', () => {
  it('replaces the password of every URL, keeping the user', () => {
    expect(maskUrlPasswords('from https://max:hunter2@a.example to s3://k:v@b.example/x')).toBe('from https://max:***@a.example to s3://k:***@b.example/x');
  });
});
