// One file in one hub repository: what a catalog entry resolves to and what an hf:// or ms:// reference names.
// Repository and file names are checked here because they become directories under the models directory.
package io.puhui.server.hub;

import java.nio.file.Path;
import java.util.regex.Pattern;

public record HubFile(Hub hub, String repo, String file) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    public HubFile {
        if (hub == null || repo == null || file == null) {
            throw new IllegalArgumentException("hub, repository and file are all required");
        }
        String[] parts = repo.split("/", -1);
        if (parts.length != 2 || !NAME.matcher(parts[0]).matches() || !NAME.matcher(parts[1]).matches()) {
            throw new IllegalArgumentException("repository '" + repo
                    + "' is not OWNER/NAME (letters, digits, '.', '_', '-')");
        }
        for (String segment : file.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("file path '" + file
                        + "' has an empty, '.' or '..' part; give the path inside the repository, like dir/model.gguf");
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                if (c < 0x20 || c == 0x7f || "\\:*?\"<>|".indexOf(c) >= 0) {
                    throw new IllegalArgumentException("file path '" + file + "' contains '" + c
                            + "', which cannot be a file name on every system");
                }
            }
        }
    }

    /** How the file is named in references and reports: {@code ms://OWNER/REPO/path/file.gguf}. */
    public String source() {
        return hub.scheme() + "://" + repo + "/" + file;
    }

    /** Where the file lives once downloaded: {@code <modelsDir>/<hub>/<owner>/<repo>/<file>}. */
    public Path localPath(Path modelsDir) {
        Path p = modelsDir.resolve(hub.id());
        for (String s : repo.split("/")) {
            p = p.resolve(s);
        }
        for (String s : file.split("/")) {
            p = p.resolve(s);
        }
        return p;
    }

    @Override
    public String toString() {
        return source();
    }
}
