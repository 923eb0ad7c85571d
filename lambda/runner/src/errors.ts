/*
 * errors.ts - every way a run can fail, as one error class whose message a
 * student (or the See++ backend's log) can read as it is.
 *
 * See++'s backend answers a thrown Error with HTTP 500 {error: message} and
 * its frontend shows that text, so the message is the whole user interface
 * of a failure: it says what happened and, where there is one, what to do.
 */

export type RunnerErrorKind =
    | "invoke"         // the Invoke call itself failed (network, throttling, permissions)
    | "timeout"        // no answer in time: the function's timeout or ours
    | "function"       // the function ended in a function error (FunctionError set)
    | "refused"        // the tracer refused the request (success: false)
    | "bad-response"   // the payload is not a response we understand
    | "fetch";         // the large-response envelope could not be followed

export class RunnerError extends Error {
    readonly kind: RunnerErrorKind;

    constructor(kind: RunnerErrorKind, message: string) {
        super(message);
        this.name = "RunnerError";
        this.kind = kind;
    }
}

/* Text from the function or a peer goes into messages: keep it one bounded line. */
export function clip(text: unknown, max = 500): string {
    const s = String(text ?? "").replace(/\s+/g, " ").trim();
    return s.length > max ? s.slice(0, max) + "..." : s;
}

interface LambdaErrorPayload {
    errorMessage?: unknown;
    errorType?: unknown;
}

/*
 * A function error's payload is {"errorMessage", "errorType", ...}: the
 * bootstrap's own (Function.TraceFailed, Function.TraceTimeout,
 * Function.ResponseTooLarge), or Lambda's when the function timed out
 * ("Task timed out after 180.00 seconds", no errorType) or crashed.
 */
export function functionError(functionName: string, header: string, payload: string): RunnerError {
    let parsed: LambdaErrorPayload = {};
    try {
        const v: unknown = JSON.parse(payload);
        if (v && typeof v === "object") parsed = v as LambdaErrorPayload;
    } catch {
        /* not JSON: reported as raw text below */
    }
    const type = typeof parsed.errorType === "string" ? parsed.errorType : "";
    const msg = typeof parsed.errorMessage === "string" ? clip(parsed.errorMessage) : clip(payload);
    if (type === "Function.TraceTimeout" || /Task timed out after/.test(msg)) {
        return new RunnerError("timeout",
            `The trace did not finish in time (${msg}). ` +
            "Shorten the program's run or lower maxSteps, then run it again.");
    }
    if (type === "Function.ResponseTooLarge") {
        return new RunnerError("function",
            `The trace is too large to be sent back (${msg}). Lower maxSteps or shorten the program.`);
    }
    return new RunnerError("function",
        `The trace service failed (${type || header || "function error"}): ${msg || "no message"}`);
}

/* An exception from the SDK's send() (or our abort) as a RunnerError. */
export function invokeError(functionName: string, err: unknown, timeoutMs: number): RunnerError {
    if (err instanceof RunnerError) return err;
    const e = (err ?? {}) as { name?: unknown; message?: unknown; code?: unknown };
    const name = typeof e.name === "string" ? e.name : "Error";
    const message = clip(e.message);
    if (name === "AbortError" || name === "TimeoutError") {
        return new RunnerError("timeout",
            `No answer from the Lambda function ${functionName} within ${Math.round(timeoutMs / 1000)} s.`);
    }
    if (name === "TooManyRequestsException") {
        return new RunnerError("invoke",
            `The trace service is busy (${message}). Try again in a moment.`);
    }
    const code = typeof e.code === "string" ? ` ${e.code}` : "";
    return new RunnerError("invoke",
        `Invoking the Lambda function ${functionName} failed: ${name}${code}: ${message}`);
}
