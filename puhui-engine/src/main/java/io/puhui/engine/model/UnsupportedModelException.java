// A model file that is valid GGUF but describes something this engine cannot run.
package io.puhui.engine.model;

public class UnsupportedModelException extends RuntimeException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
