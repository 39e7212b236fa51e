// A GGUF file that cannot be read: the message names the file and what is wrong with it.
package io.puhui.engine.gguf;

public class GgufFormatException extends RuntimeException {
    public GgufFormatException(String message) {
        super(message);
    }
}
