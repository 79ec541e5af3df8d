package dev.ingest.plugin.s3;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** S3 event notifications as AWS S3 and MinIO write them, for tests. */
final class Events {

    private Events() {
    }

    /** A key URL-encoded as S3 does it: form encoding ({@code +} for a space), {@code /} kept. */
    static String encodeKey(String key) {
        return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/");
    }

    /** One record of an S3 event. */
    static String record(String eventName, String bucket, String key, long size, String etag) {
        return """
                {"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2026-01-01T00:00:00.000Z",\
                "eventName":"%s","s3":{"s3SchemaVersion":"1.0","configurationId":"ingest",\
                "bucket":{"name":"%s","arn":"arn:aws:s3:::%s"},\
                "object":{"key":"%s","size":%d,"eTag":"%s","sequencer":"0055AED6DCD90281E5"}}}"""
                .formatted(eventName, bucket, bucket, encodeKey(key), size, etag);
    }

    /** An AWS S3 notification of one created object. */
    static String created(String bucket, String key, long size, String etag) {
        return "{\"Records\":[" + record("ObjectCreated:Put", bucket, key, size, etag) + "]}";
    }

    /** A MinIO notification (as published to NATS) of one created object. */
    static String minio(String bucket, String key, long size, String etag) {
        return "{\"EventName\":\"s3:ObjectCreated:Put\",\"Key\":\"" + bucket + "/" + encodeKey(key) + "\",\"Records\":["
                + record("s3:ObjectCreated:Put", bucket, key, size, etag).replace("aws:s3", "minio:s3") + "]}";
    }

    /** S3's test event, sent when notifications are set up. */
    static String testEvent(String bucket) {
        return "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":\"2026-01-01T00:00:00.000Z\","
                + "\"Bucket\":\"" + bucket + "\",\"RequestId\":\"X\",\"HostId\":\"Y\"}";
    }
}
