/**
 * Who may use the dashboard: whoever holds the random token printed with its URL. The first
 * request carries it as `?token=`; the server answers with an HttpOnly, SameSite=Strict cookie and
 * a redirect to the same page without the token (so it leaves the address bar and the history).
 * Every other request needs the cookie: 401 otherwise.
 *
 * Changes (POST) are refused unless the browser says they come from this very page
 * (Sec-Fetch-Site: same-origin, or an Origin equal to ours) and carry the CSRF token the pages
 * embed, so that another site open in the same browser cannot rerun or cancel jobs.
 * When bound to loopback, a Host header naming another host is refused too (DNS rebinding).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";

export interface AuthOptions {
  token: string;
  /** Cookie names are per host, not per port: two servers on one machine must not share one. */
  port: number;
  loopback: boolean;
}

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/** Derived from the token, so the server keeps no session table; useless without the token. */
export function csrfToken(token: string): string {
  return createHmac("sha256", token).update("ferry-web csrf").digest("base64url");
}

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

function hostAllowed(host: string | undefined, o: AuthOptions): boolean {
  if (!o.loopback) return true;
  if (!host) return false;
  const name = host.replace(/:\d+$/, "");
  return LOOPBACK_HOSTS.has(name);
}

function refuse(c: Context, status: 401 | 403, text: string): Response {
  return c.text(`ferry web: ${text}\n`, status, { "Cache-Control": "no-store" });
}

export function authMiddleware(o: AuthOptions): MiddlewareHandler {
  const cookie = `ferry_web_${o.port}`;
  const csrf = csrfToken(o.token);
  return async (c, next) => {
    if (!hostAllowed(c.req.header("host"), o))
      return refuse(c, 403, "this server answers only to 127.0.0.1, localhost and [::1]");
    const url = new URL(c.req.url);
    const given = url.searchParams.get("token");
    if (given !== null && c.req.method === "GET") {
      if (!same(given, o.token)) return refuse(c, 401, "wrong token: open the URL `ferry web` printed");
      url.searchParams.delete("token");
      c.header(
        "Set-Cookie",
        // no Secure flag: the server speaks plain HTTP (put TLS in front for a non-loopback host)
        `${cookie}=${o.token}; HttpOnly; SameSite=Strict; Path=/`,
      );
      c.header("Cache-Control", "no-store");
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    if (!same(cookieValue(c.req.header("cookie"), cookie), o.token))
      return refuse(c, 401, "open the URL `ferry web` printed (it holds the access token)");
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const site = c.req.header("sec-fetch-site");
      const origin = c.req.header("origin");
      const ours = `${url.protocol}//${c.req.header("host")}`;
      if (site !== undefined ? site !== "same-origin" : origin !== undefined && origin !== ours)
        return refuse(c, 403, "cross-site request refused");
      let sent = c.req.header("x-ferry-csrf");
      if (sent === undefined && /form/.test(c.req.header("content-type") ?? "")) {
        const field = (await c.req.parseBody())._csrf;
        sent = typeof field === "string" ? field : undefined;
      }
      if (!same(sent, csrf)) return refuse(c, 403, "missing or wrong CSRF token: reload the page");
    }
    await next();
  };
}
