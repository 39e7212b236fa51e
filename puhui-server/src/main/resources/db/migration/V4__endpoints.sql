-- Endpoints: OpenAI-compatible servers (vLLM, llama-server, Ollama, a cloud API, another Puhui) that serve a
-- logical model on a tier. The key is stored encrypted (AES-GCM with the server's secret key), never in clear.
CREATE TABLE endpoints (
    id             VARCHAR(40)   PRIMARY KEY,
    model          VARCHAR(200)  NOT NULL,
    tier           VARCHAR(10)   NOT NULL,
    url            VARCHAR(2000) NOT NULL,
    upstream_model VARCHAR(400)  NOT NULL,
    key_enc        VARCHAR(4000),
    created_at     BIGINT        NOT NULL
);
