package dev.fusec.runtime.opencl;

/**
 * OpenCL could not do what was asked: no loader library, no device, a call that failed, a program
 * that did not build. The message is one line meant for the user (a build log, when there is one,
 * is kept apart in {@link #detail()}).
 */
public final class OpenClException extends RuntimeException {
    private final int status;
    private final String detail;

    public OpenClException(String message) {
        this(message, 0, "");
    }

    OpenClException(String message, int status) {
        this(message, status, "");
    }

    OpenClException(String message, int status, String detail) {
        super(message, null, false, false);
        this.status = status;
        this.detail = detail;
    }

    /** The OpenCL status code, or 0 when no call returned one. */
    public int status() {
        return status;
    }

    /** Longer text that does not fit the one line (a compiler's build log), or empty. */
    public String detail() {
        return detail;
    }
}
