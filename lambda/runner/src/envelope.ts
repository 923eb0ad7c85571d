/*
 * envelope.ts - follow the large-response envelope: GET its presigned URL,
 * gunzip, check length and SHA-256 against the envelope, give the JSON text.
 *
 * A plain GET with node's http/https (no signing: the URL carries it). Node's
 * http does not decode Content-Encoding, so the bytes are seen as sent and
 * are gunzipped here when the object is gzip (by header or by its magic
 * bytes). Both the bytes received and the bytes decompressed are capped by
 * the size the envelope announced: a peer cannot make the runner hold more.
 */
import { createHash } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import { createGunzip } from "node:zlib";

import { clip, RunnerError } from "./errors";
import type { Envelope } from "./response";

/* S3 answers errors as XML <Error><Code>..</Code><Message>..</Message>. */
function s3Reason(body: string): string {
    const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
    const msg = /<Message>([^<]{1,300})<\/Message>/.exec(body)?.[1];
    return code ? `${code}${msg ? ": " + msg : ""}` : clip(body, 200);
}

/*
 * The response JSON the envelope points to, verified. timeoutMs bounds the
 * whole transfer.
 */
export function fetchEnvelope(env: Envelope, timeoutMs: number): Promise<string> {
    const url = new URL(env.responseUrl);
    const get = url.protocol === "https:" ? https.get : http.get;
    const want = env.responseBytes;
    return new Promise<string>((resolve, reject) => {
        let done = false;
        const fail = (why: string, kind: "fetch" | "timeout" = "fetch") => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            req.destroy();
            reject(new RunnerError(kind, why));
        };
        const req = get(url, { headers: { "Accept-Encoding": "gzip" } }, (res) => {
            const status = res.statusCode ?? 0;
            if (status !== 200) {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (c: string) => { if (body.length < 4096) body += c; });
                res.on("end", () => {
                    const reason = s3Reason(body);
                    fail(/expired/i.test(reason)
                        ? `The link to the whole trace expired before it was fetched (HTTP ${status}, ${reason}). Run the program again.`
                        : `Fetching the whole trace from responseUrl failed: HTTP ${status} (${reason}).`);
                });
                return;
            }
            const chunks: Buffer[] = [];
            let raw = 0, got = 0;
            const hash = createHash("sha256");
            let gunzip: ReturnType<typeof createGunzip> | null = null;
            const take = (b: Buffer) => {
                got += b.length;
                if (got > want) {
                    fail(`The whole trace at responseUrl is larger than the ${want} bytes announced.`);
                    return;
                }
                hash.update(b);
                chunks.push(b);
            };
            const finish = () => {
                if (done) return;
                const sha = hash.digest("hex");
                if (got !== want || sha !== env.responseSha256) {
                    fail(`The whole trace fetched from responseUrl is damaged: ${got} bytes with ` +
                        `SHA-256 ${sha}, expected ${want} bytes with ${env.responseSha256}.`);
                    return;
                }
                done = true;
                clearTimeout(timer);
                resolve(Buffer.concat(chunks, got).toString("utf8"));
            };
            res.on("data", (b: Buffer) => {
                if (done) return;
                raw += b.length;
                // gzip is never much larger than what it holds (stored blocks:
                // 5 bytes per 64 KiB); more than that means something else is sent
                if (raw > want + want / 1000 + 1024) {
                    fail(`responseUrl sent more than the ${want} bytes announced.`);
                    return;
                }
                // JSON never starts with 0x1f: those are gzip's magic bytes,
                // whatever the headers say (a client or proxy may have decoded)
                if (raw === b.length && b[0] === 0x1f) {
                    gunzip = createGunzip();
                    gunzip.on("data", take);
                    gunzip.on("end", finish);
                    gunzip.on("error", (e) => fail(`The whole trace at responseUrl is not valid gzip: ${clip(e.message, 120)}.`));
                }
                if (gunzip) gunzip.write(b);
                else take(b);
            });
            res.on("end", () => {
                if (gunzip) gunzip.end();
                else finish();
            });
            res.on("error", (e) => fail(`Fetching the whole trace from responseUrl failed: ${clip(e.message, 200)}.`));
        });
        const timer = setTimeout(() =>
            fail(`Fetching the whole trace from responseUrl took longer than ${Math.round(timeoutMs / 1000)} s.`, "timeout"),
            timeoutMs);
        req.on("error", (e) => fail(`Fetching the whole trace from responseUrl failed: ${clip(e.message, 200)}.`));
    });
}
