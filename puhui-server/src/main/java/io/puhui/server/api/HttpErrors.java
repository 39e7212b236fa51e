// Every error leaves a Javalin app (worker or gateway) in OpenAI's error shape, with no stack trace to the client.
package io.puhui.server.api;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class HttpErrors {
    private static final Logger LOG = LoggerFactory.getLogger(HttpErrors.class);

    private HttpErrors() {
    }

    public static void install(JavalinConfig config, long maxBodyBytes) {
        config.routes.exception(ApiException.class, (e, ctx) -> write(ctx, e));
        config.routes.exception(HttpResponseException.class, (e, ctx) -> write(ctx, switch (e.getStatus()) {
            case 413 -> ApiException.tooLarge(maxBodyBytes);
            case 404 -> ApiException.notFound("not_found", "no such endpoint: " + ctx.method() + " " + ctx.path());
            default -> new ApiException(e.getStatus(), e.getStatus() >= 500 ? "server_error" : "invalid_request_error",
                    null, null, e.getMessage(), null);
        }));
        config.routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            write(ctx, ApiException.internal("the server failed to answer: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage())));
        });
        config.routes.error(404, ctx -> {
            if (ctx.result() == null) {
                write(ctx, ApiException.notFound("not_found", "no such endpoint: " + ctx.method() + " " + ctx.path()));
            }
        });
    }

    public static void write(Context ctx, ApiException e) {
        if (ctx.res().isCommitted()) {
            return;
        }
        ctx.status(e.status());
        if (e.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
        }
        ctx.contentType("application/json").result(Json.write(e.toJson(Json.MAPPER)));
    }
}
