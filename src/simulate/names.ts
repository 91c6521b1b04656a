/** Names for simulated users, servers and domains: fixed lists, so events read like real logs. */
const FIRST_NAMES = [
  'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy',
  'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'uma', 'victor', 'walter',
];

/** n distinct user names: alice, bob, … then alice2, bob2, … */
export function userNames(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const round = Math.floor(i / FIRST_NAMES.length);
    out.push(`${FIRST_NAMES[i % FIRST_NAMES.length]}${round ? round + 1 : ''}`);
  }
  return out;
}

/** n distinct host names: `${prefix}-01`, `${prefix}-02`, … */
export function hostNames(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);
}

/** Accounts attackers try first. */
export const PRIVILEGED_USERS = ['root', 'admin', 'administrator', 'oracle', 'postgres', 'test', 'guest', 'ubuntu'];

export const DOMAINS = [
  'example.com', 'example.org', 'example.net', 'cdn.example.com', 'api.example.com',
  'mail.example.org', 'updates.example.net', 'static.example.com', 'login.example.com', 'news.example.org',
];

export const URL_PATHS = ['/', '/index.html', '/login', '/api/v1/items', '/api/v1/users/me', '/static/app.js', '/static/style.css', '/favicon.ico', '/search?q=vigil', '/health'];
