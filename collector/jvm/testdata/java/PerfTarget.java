// PerfTarget is the JVM that collector/jvm's tests start: it allocates
// enough to trigger collections, requests a full collection, prints
// "ready" and then idles until its standard input is closed, so that its
// perf data stays still while the test reads it.
public class PerfTarget {
    public static void main(String[] args) throws Exception {
        byte[][] keep = new byte[64][];
        for (int i = 0; i < 4000; i++) {
            keep[i % keep.length] = new byte[64 * 1024];
        }
        System.gc();
        System.out.println("ready " + keep.length);
        System.out.flush();
        while (System.in.read() >= 0) {
            // Wait for end of input.
        }
    }
}
