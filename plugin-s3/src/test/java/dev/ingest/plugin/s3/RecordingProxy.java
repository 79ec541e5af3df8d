package dev.ingest.plugin.s3;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP proxy in front of an HTTP/1.1 server that records the request line and headers of every request passing
 * through, so that a test can see what a client really sent (which headers the AWS SDK signed, say). Bytes go through
 * unchanged in both directions, so signatures over the {@code Host} header and the body stay valid. It follows
 * requests on a kept-alive connection by their {@code Content-Length} or chunked {@code Transfer-Encoding}.
 *
 * <p>Test code only. Thread-safe; {@link #close()} stops it and drops its connections.
 */
final class RecordingProxy implements AutoCloseable {

    /** One request as the client sent it. Header names are kept lower case. */
    record Request(String method, String target, Map<String, String> headers) {

        /**
         * @param name a header name, in any case
         * @return its value, if the request had it
         */
        Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }
    }

    private final ServerSocket server;
    private final String upstreamHost;
    private final int upstreamPort;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recording-proxy");
        t.setDaemon(true);
        return t;
    });

    private RecordingProxy(ServerSocket server, URI upstream) {
        this.server = server;
        this.upstreamHost = upstream.getHost();
        this.upstreamPort = upstream.getPort();
    }

    /**
     * @param upstream the server, {@code http://host:port}
     * @return a running proxy on a free loopback port
     */
    static RecordingProxy start(URI upstream) throws IOException {
        RecordingProxy proxy = new RecordingProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), upstream);
        proxy.threads.execute(proxy::acceptLoop);
        return proxy;
    }

    /** @return the proxy's URL, {@code http://127.0.0.1:PORT} */
    String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** @return every request forwarded so far, in the order they arrived */
    List<Request> requests() {
        return List.copyOf(requests);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(upstreamHost, upstreamPort);
                sockets.add(client);
                sockets.add(upstream);
                threads.execute(() -> pipe(upstream, client));
                threads.execute(() -> forwardRequests(client, upstream));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** Copies the server's answers to the client as they come. */
    private static void pipe(Socket from, Socket to) {
        try (from; to) {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (IOException e) {
            // one side closed: so is the other now
        }
    }

    /** Reads the client's requests one after the other, records each head and forwards it with its body. */
    private void forwardRequests(Socket client, Socket upstream) {
        try (client; upstream) {
            InputStream in = new BufferedInputStream(client.getInputStream(), 64 * 1024);
            OutputStream out = upstream.getOutputStream();
            while (true) {
                byte[] head = readHead(in);
                if (head == null) {
                    return;
                }
                Request request = parse(head);
                requests.add(request);
                out.write(head);
                if (request.header("transfer-encoding").map(v -> v.toLowerCase(Locale.ROOT).contains("chunked"))
                        .orElse(false)) {
                    forwardChunked(in, out);
                } else {
                    long length = request.header("content-length").map(Long::parseLong).orElse(0L);
                    copy(in, out, length);
                }
                out.flush();
            }
        } catch (IOException e) {
            // a connection closed
        }
    }

    /** @return the request line and headers up to and including the empty line, or null at the end of the stream */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0; // of \r\n\r\n
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new IOException("the connection ended inside a request head");
            }
            head.write(b);
            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toByteArray();
    }

    private static Request parse(byte[] head) {
        String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] requestLine = lines[0].split(" ", 3);
        Map<String, String> headers = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim(), (a, b) -> a + ", " + b);
            }
        }
        return new Request(requestLine[0], requestLine.length > 1 ? requestLine[1] : "", headers);
    }

    private static void forwardChunked(InputStream in, OutputStream out) throws IOException {
        while (true) {
            String sizeLine = readLine(in, out);
            int semicolon = sizeLine.indexOf(';');
            long size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
            if (size == 0) {
                while (!readLine(in, out).isEmpty()) {
                    // trailers, up to the empty line
                }
                return;
            }
            copy(in, out, size + 2); // the chunk and its CRLF
        }
    }

    /** Reads and forwards one CRLF-terminated line; returns it without the CRLF. */
    private static String readLine(InputStream in, OutputStream out) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection ended inside a chunked body");
            }
            out.write(b);
            if (previous == '\r' && b == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
            previous = b;
        }
    }

    private static void copy(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("the connection ended inside a body");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        List<Socket> open = new ArrayList<>(sockets);
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        threads.shutdownNow();
    }
}
