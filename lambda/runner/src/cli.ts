/*
 * cli.ts - the runner from a shell: one request in, the ProgramTrace See++'s
 * frontend would receive out. For trying a deployed function by hand and for
 * tests (tests/e2e/test_runner_ts.py).
 *
 *   node lambda/runner/dist/cli.js [--function NAME] [--region R] [--endpoint URL]
 *        [--response-mode auto|inline] [--timeout-ms N] < request.json
 *
 * stdin: {"code": "...", "stdin"?, "language"?, "memcheck"?, "maxSteps"?}, code
 * as See++'s backend sends it. stdout: the ProgramTrace, nothing else. stderr:
 * one line "spp-runner: info: ..." (steps, outcome, how it arrived), or
 * "spp-runner: error: MESSAGE" and exit 1 - the text See++ would show.
 * Defaults come from LAMBDA_FUNCTION_NAME, AWS_REGION, LAMBDA_ENDPOINT_URL.
 */
import { RunnerError } from "./errors";
import { configFromEnv, SppLambdaRunner, type SppLambdaRunnerConfig, type TraceOptions } from "./lambda_runner";

function usage(msg: string): never {
    process.stderr.write(`spp-runner: error: ${msg}\n` +
        "usage: cli.js [--function NAME] [--region R] [--endpoint URL] " +
        "[--response-mode auto|inline] [--timeout-ms N] < request.json\n");
    process.exit(2);
}

function parseArgs(argv: string[]): SppLambdaRunnerConfig {
    const env = { ...process.env };
    const flags: Record<string, string> = {};
    for (let i = 0; i < argv.length; i += 2) {
        const k = argv[i], v = argv[i + 1];
        if (!k.startsWith("--") || v === undefined) usage(`bad argument ${k}`);
        flags[k.slice(2)] = v;
    }
    if (flags.function) env.LAMBDA_FUNCTION_NAME = flags.function;
    if (flags.region) env.AWS_REGION = flags.region;
    if (flags.endpoint) env.LAMBDA_ENDPOINT_URL = flags.endpoint;
    let cfg: SppLambdaRunnerConfig;
    try {
        cfg = configFromEnv(env);
    } catch (e) {
        usage((e as Error).message);
    }
    const mode = flags["response-mode"];
    if (mode !== undefined) {
        if (mode !== "auto" && mode !== "inline") usage("--response-mode must be auto or inline");
        cfg.responseMode = mode;
    }
    if (flags["timeout-ms"] !== undefined) {
        const n = Number(flags["timeout-ms"]);
        if (!Number.isInteger(n) || n < 100) usage("--timeout-ms must be an integer >= 100");
        cfg.invokeTimeoutMs = n;
    }
    for (const k of Object.keys(flags)) {
        if (!["function", "region", "endpoint", "response-mode", "timeout-ms"].includes(k))
            usage(`unknown option --${k}`);
    }
    return cfg;
}

async function readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<number> {
    const cfg = parseArgs(process.argv.slice(2));
    let req: Record<string, unknown>;
    try {
        req = JSON.parse(await readStdin());
    } catch (e) {
        usage(`stdin is not a JSON request: ${(e as Error).message}`);
    }
    if (typeof req.code !== "string") usage("the request on stdin has no \"code\" string");
    const { code, ...rest } = req;
    const runner = new SppLambdaRunner(cfg);
    try {
        const r = await runner.run(code as string, undefined, rest as TraceOptions);
        const steps = r.programTrace.trace.length;
        process.stderr.write(`spp-runner: info: ${steps} steps, outcome ${r.response.outcome ?? "?"}, ` +
            `via ${r.via}\n`);
        await new Promise<void>((resolve) => process.stdout.write(JSON.stringify(r.programTrace), () => resolve()));
        return 0;
    } catch (e) {
        const msg = e instanceof RunnerError ? e.message : `unexpected: ${(e as Error).stack ?? e}`;
        process.stderr.write(`spp-runner: error: ${msg}\n`);
        return 1;
    } finally {
        runner.destroy();
    }
}

main().then((rc) => { process.exitCode = rc; });
