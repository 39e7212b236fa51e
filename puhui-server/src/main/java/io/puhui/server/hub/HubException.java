// A hub failed before any byte of the file arrived: the case where trying the other hub is worth it.
// The kind separates "cannot reach it at all" (likely offline) from answers such as 404 or 500.
package io.puhui.server.hub;

import java.io.IOException;

final class HubException extends IOException {

    enum Kind { UNREACHABLE, NOT_FOUND, REFUSED }

    private final Kind kind;
    private final String host;

    HubException(Kind kind, String host, String message, Throwable cause) {
        super(host + ": " + message, cause);
        this.kind = kind;
        this.host = host;
    }

    HubException(Kind kind, String host, String message) {
        this(kind, host, message, null);
    }

    Kind kind() {
        return kind;
    }

    String host() {
        return host;
    }
}
