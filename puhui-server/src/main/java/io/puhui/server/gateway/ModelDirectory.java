// Which models this server can serve and how each is run; the gateway asks it for every request.
package io.puhui.server.gateway;

import io.puhui.server.node.WorkerSpec;
import java.util.List;
import java.util.Optional;

public interface ModelDirectory {

    Optional<WorkerSpec> find(String name);

    /** Every servable model, by name. */
    List<String> names();
}
