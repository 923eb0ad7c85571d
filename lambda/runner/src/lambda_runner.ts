/*
 * lambda_runner.ts - a replacement for See++'s LambdaRunner
 * (backend/src/runners/lambda.ts) that hands See++'s frontend the trace
 * spp-trace made, whole.
 *
 * See++'s own runner returns only `traceContent`, which its backend re-parses
 * (parse_vg_trace.ts); that parser cannot carry endings, memcheck findings,
 * the last step's output or one-line functions' returns (docs/trace-notes.md
 * §5). This runner returns the response's `trace` - the ProgramTrace the
 * frontend validates - as `programTrace`, next to the fields See++'s
 * RunnerResult has, so the backend can send it as it is.
 *
 * A direct invoke's answer is capped at 6 MiB, and a trace repeats the whole
 * state at every step. The runner asks for responseMode "auto": a response
 * over the cap then comes as a small envelope pointing to the whole response
 * in S3 (a presigned URL), which the runner fetches and verifies
 * (envelope.ts). Without a bucket the function sends an honest cut instead:
 * a trace whose outcome and last step say where and why it stopped.
 */
import { InvokeCommand, LambdaClient, type LambdaClientConfig } from "@aws-sdk/client-lambda";

import { fetchEnvelope } from "./envelope";
import { functionError, invokeError, RunnerError } from "./errors";
import { asEnvelope, asResponse, parseObject, type ProgramTrace, type SppResponse } from "./response";

/* The line See++'s backend prepends (valgrind_utils.ts preprocessCode). */
export const SEEPP_SHIM = "#define union struct\n";

/* See++'s RunnerResult (backend/src/runners/runner.interface.ts), field for field. */
export interface RunnerResult {
    ccStdout: string;
    ccStderr: string;
    stdout: string;
    stderr: string;
    traceContent: string;
}

/* See++'s TraceRunner: implementing it makes tsc check the drop-in. */
export interface TraceRunner {
    run(code: string, uniqueId: string): Promise<RunnerResult>;
}

export interface SppRunnerResult extends RunnerResult {
    /* What See++'s frontend renders: send it as the /api/run body. */
    programTrace: ProgramTrace;
    /* The whole response (memcheck, outcome, engine, timings, ...). */
    response: SppResponse;
    /* "inline", or "responseUrl" when the envelope was followed. */
    via: "inline" | "responseUrl";
}

/* Request fields beyond `code` (service-contract.md, "Request"). */
export interface TraceOptions {
    stdin?: string;
    language?: "c++" | "c";
    memcheck?: boolean;
    maxSteps?: number;
}

export interface SppLambdaRunnerConfig {
    functionName: string;
    region: string;
    /* An Invoke endpoint other than AWS's (a local emulator, LocalStack). */
    endpoint?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    /* Whole invoke; above the function's own timeout (template: 180 s). */
    invokeTimeoutMs?: number;
    /* Fetching the envelope's URL. */
    fetchTimeoutMs?: number;
    /* The largest whole response the runner takes (the tracer's own cap is 40 MiB). */
    maxResponseBytes?: number;
    /* "auto" follows the envelope; "inline" is an unchanged See++ invoke (honest cut). */
    responseMode?: "auto" | "inline";
}

const DEFAULT_INVOKE_TIMEOUT_MS = 200_000;
const DEFAULT_FETCH_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/* The configuration See++'s LambdaRunner reads, plus LAMBDA_ENDPOINT_URL. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): SppLambdaRunnerConfig {
    const functionName = env.LAMBDA_FUNCTION_NAME;
    if (!functionName) throw new Error("LAMBDA_FUNCTION_NAME environment variable is required");
    return {
        functionName,
        region: env.AWS_REGION || "us-west-2",
        endpoint: env.LAMBDA_ENDPOINT_URL || undefined,
    };
}

export class SppLambdaRunner implements TraceRunner {
    private readonly client: LambdaClient;
    private readonly cfg: Required<Omit<SppLambdaRunnerConfig, "endpoint" | "credentials">>;

    constructor(config: SppLambdaRunnerConfig = configFromEnv()) {
        const clientConfig: LambdaClientConfig = { region: config.region };
        if (config.endpoint) clientConfig.endpoint = config.endpoint;
        if (config.credentials) clientConfig.credentials = config.credentials;
        this.client = new LambdaClient(clientConfig);
        this.cfg = {
            functionName: config.functionName,
            region: config.region,
            invokeTimeoutMs: config.invokeTimeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS,
            fetchTimeoutMs: config.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
            maxResponseBytes: config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
            responseMode: config.responseMode ?? "auto",
        };
    }

    /*
     * See++'s TraceRunner.run: `code` as its backend passes it (with the
     * `#define union struct` line it prepends; the tracer keeps line numbers
     * those of the code received and the frontend subtracts one).
     * programTrace.code is the student's code, without that line.
     */
    async run(code: string, _uniqueId?: string, options: TraceOptions = {}): Promise<SppRunnerResult> {
        const payload = { ...options, code, preprocessed: false, responseMode: this.cfg.responseMode };
        const text = await this.invoke(JSON.stringify(payload));
        let o = parseObject(text, "The Lambda function's answer");
        let via: SppRunnerResult["via"] = "inline";
        const env = asEnvelope(o, this.cfg.maxResponseBytes);
        if (env) {
            o = parseObject(await fetchEnvelope(env, this.cfg.fetchTimeoutMs), "The whole response at responseUrl");
            via = "responseUrl";
        }
        const response = asResponse(o);
        const t = response.trace;
        const programTrace: ProgramTrace = {
            ...t,
            code: t.code.startsWith(SEEPP_SHIM) ? t.code.slice(SEEPP_SHIM.length) : t.code,
        };
        return {
            ccStdout: response.ccStdout,
            ccStderr: response.ccStderr,
            stdout: response.stdout,
            stderr: response.stderr,
            traceContent: response.traceContent,
            programTrace,
            response,
            via,
        };
    }

    /* The invoke's payload as text; every failure as a RunnerError. */
    private async invoke(body: string): Promise<string> {
        const name = this.cfg.functionName;
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(), this.cfg.invokeTimeoutMs);
        try {
            const out = await this.client.send(new InvokeCommand({
                FunctionName: name,
                InvocationType: "RequestResponse",
                Payload: Buffer.from(body, "utf8"),
            }), { abortSignal: abort.signal });
            const payload = out.Payload ? Buffer.from(out.Payload).toString("utf8") : "";
            if (out.FunctionError) throw functionError(name, out.FunctionError, payload);
            if (!payload) throw new RunnerError("bad-response", `The Lambda function ${name} answered nothing.`);
            return payload;
        } catch (e) {
            throw invokeError(name, abort.signal.aborted ? { name: "AbortError" } : e, this.cfg.invokeTimeoutMs);
        } finally {
            clearTimeout(timer);
        }
    }

    destroy(): void {
        this.client.destroy();
    }
}
