/*
 * response.ts - spp-trace's response as the runner reads it, checked before
 * use: the payload comes from a function that ran untrusted code, so its
 * shape is verified rather than assumed.
 *
 * The check is the part the runner relies on (a ProgramTrace with steps,
 * each with an event and a line). The frontend's Zod schema
 * (frontend/src/trace/schema.ts) validates the rest of every step.
 */
import { clip, RunnerError } from "./errors";

/* See++'s ProgramTrace (frontend/src/trace/schema.ts): steps pass through whole. */
export interface ExecutionPoint {
    event: string;
    line: number;
    exceptionMsg?: string;
    [field: string]: unknown;
}

export interface ProgramTrace {
    code: string;
    trace: ExecutionPoint[];
    buildOutput?: string;
}

/* The fields of our response the runner uses (service-contract.md, "Response"). */
export interface SppResponse {
    success: boolean;
    trace: ProgramTrace;
    outcome?: string;
    message?: string;
    ccStdout: string;
    ccStderr: string;
    stdout: string;
    stderr: string;
    traceContent: string;
    [field: string]: unknown;
}

/* The large-response envelope (lambda/README.md, "A trace larger than one response"). */
export interface Envelope {
    responseUrl: string;
    responseBytes: number;
    responseSha256: string;
    responseEncoding: "gzip" | "identity";
}

function str(o: Record<string, unknown>, key: string): string {
    const v = o[key];
    return typeof v === "string" ? v : "";
}

/* JSON text -> object, or a RunnerError saying what came instead. */
export function parseObject(text: string, what: string): Record<string, unknown> {
    let v: unknown;
    try {
        v = JSON.parse(text);
    } catch (e) {
        throw new RunnerError("bad-response",
            `${what} is not JSON (${clip((e as Error).message, 120)}): ${clip(text, 120)}`);
    }
    if (!v || typeof v !== "object" || Array.isArray(v)) {
        throw new RunnerError("bad-response", `${what} is not a JSON object: ${clip(text, 120)}`);
    }
    return v as Record<string, unknown>;
}

/* Whether a payload is the envelope (only it has responseUrl), checked field by field. */
export function asEnvelope(o: Record<string, unknown>, maxBytes: number): Envelope | null {
    if (!("responseUrl" in o)) return null;
    const url = o.responseUrl, bytes = o.responseBytes, sha = o.responseSha256;
    const enc = o.responseEncoding === undefined ? "identity" : o.responseEncoding;
    const bad = (why: string) =>
        new RunnerError("bad-response", `The large-response envelope is invalid: ${why}.`);
    if (typeof url !== "string" || url.length > 16384 || !/^https?:\/\//.test(url))
        throw bad("responseUrl is not an http(s) URL");
    if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes <= 0)
        throw bad("responseBytes is not a positive integer");
    if (bytes > maxBytes)
        throw new RunnerError("fetch",
            `The trace is ${bytes} bytes, more than this runner takes (${maxBytes}). ` +
            "Lower maxSteps or shorten the program.");
    if (typeof sha !== "string" || !/^[0-9a-f]{64}$/.test(sha))
        throw bad("responseSha256 is not 64 lowercase hex digits");
    if (enc !== "gzip" && enc !== "identity")
        throw bad(`responseEncoding ${clip(enc, 40)} is neither "gzip" nor "identity"`);
    return { responseUrl: url, responseBytes: bytes, responseSha256: sha, responseEncoding: enc };
}

/*
 * A whole response (inline or fetched) -> SppResponse. success:false is the
 * tracer's refusal (a bad request): its `error` is the message.
 */
export function asResponse(o: Record<string, unknown>): SppResponse {
    if (o.success === false) {
        throw new RunnerError("refused",
            `The tracer refused the request: ${clip(o.error) || "no reason given"}`);
    }
    if (o.success !== true)
        throw new RunnerError("bad-response", "The response has no \"success\": true.");
    const t = o.trace as Record<string, unknown> | undefined;
    if (!t || typeof t !== "object" || typeof t.code !== "string" || !Array.isArray(t.trace))
        throw new RunnerError("bad-response", "The response has no ProgramTrace in \"trace\".");
    const steps = t.trace as unknown[];
    steps.forEach((s, i) => {
        const p = s as Record<string, unknown> | null;
        if (!p || typeof p !== "object" || typeof p.event !== "string" || typeof p.line !== "number")
            throw new RunnerError("bad-response", `Step ${i + 1} of the trace has no event or line.`);
    });
    if (steps.length === 0)
        throw new RunnerError("bad-response", "The trace has no steps.");
    return {
        ...o,
        success: true,
        trace: t as unknown as ProgramTrace,
        ccStdout: str(o, "ccStdout"),
        ccStderr: str(o, "ccStderr"),
        stdout: str(o, "stdout"),
        stderr: str(o, "stderr"),
        traceContent: str(o, "traceContent"),
        outcome: typeof o.outcome === "string" ? o.outcome : undefined,
        message: typeof o.message === "string" ? o.message : undefined,
    };
}
