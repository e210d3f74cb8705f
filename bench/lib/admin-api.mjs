// The escrow server's admin API as the benches use it: one JSON call with the admin token.

/**
 * @param {string} serverUrl
 * @param {string} adminToken
 */
export function adminApi(serverUrl, adminToken) {
  /**
   * @param {string} method
   * @param {string} p the path under /api/latest/fleet
   * @param {unknown} [body]
   */
  return async (method, p, body) => {
    const res = await fetch(`${serverUrl}/api/latest/fleet${p}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}
