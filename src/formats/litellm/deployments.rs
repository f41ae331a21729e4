//! `model_list`: each deployment's provider, model, timeouts and endpoint, grouped by model name.

use super::settings::{Settings, ZERO_TIMEOUT};
use crate::collections::HashMap;
use crate::formats::read::Reader;
use crate::model::ai::{Deployment, ModelGroup};
use crate::model::Sourced;
use crate::source::Node;

/// Provider prefixes of `litellm_params.model` (LiteLLM's `provider_list`, the common part),
/// besides the protocol prefixes below.
const PROVIDERS: &[&str] = &[
    "openai",
    "text-completion-openai",
    "azure",
    "azure_text",
    "azure_ai",
    "anthropic",
    "bedrock",
    "sagemaker",
    "sagemaker_chat",
    "vertex_ai",
    "vertex_ai_beta",
    "gemini",
    "mistral",
    "codestral",
    "text-completion-codestral",
    "cohere",
    "cohere_chat",
    "groq",
    "together_ai",
    "fireworks_ai",
    "deepseek",
    "xai",
    "perplexity",
    "ollama",
    "ollama_chat",
    "huggingface",
    "replicate",
    "openrouter",
    "deepinfra",
    "anyscale",
    "cerebras",
    "nvidia_nim",
    "databricks",
    "watsonx",
    "cloudflare",
    "ai21",
    "ai21_chat",
    "voyage",
    "jina_ai",
    "sambanova",
    "nebius",
    "novita",
    "baseten",
    "moonshot",
    "dashscope",
    "volcengine",
    "meta_llama",
    "github",
    "predibase",
    "friendliai",
    "clarifai",
    "lambda_ai",
    "hyperbolic",
    "featherless_ai",
    "nscale",
    "triton",
    "oci",
];

/// Prefixes that speak a protocol rather than name a provider: whoever serves `api_base` is
/// the provider.
const PROTOCOL_PREFIXES: &[&str] = &[
    "openai_like",
    "custom_openai",
    "custom",
    "hosted_vllm",
    "vllm",
    "lm_studio",
    "llamafile",
    "oobabooga",
    "litellm_proxy",
];

/// One `model_list` entry, read.
pub(super) struct DeploymentEntry {
    pub(super) group: String,
    pub(super) deployment: Deployment,
    /// `model_info.id`: a fallback may name this deployment.
    pub(super) id: Option<String>,
    /// `model_info.mode`: which endpoint serves it.
    pub(super) mode: Option<String>,
    /// The OpenAI client's own retries inside each router attempt (`litellm_params.max_retries`).
    pub(super) client_retries: u32,
    /// The router's retries when this deployment's call fails (`litellm_params.num_retries`).
    pub(super) num_retries: Option<Sourced<u32>>,
}

pub(super) fn read_model_list(
    cx: &mut Reader<'_>,
    document: &Node,
    settings: &Settings<'_>,
) -> Vec<DeploymentEntry> {
    let mut entries = Vec::new();
    for item in document
        .get("model_list")
        .map(Node::items)
        .unwrap_or_default()
    {
        let location = cx.anchor(item);
        let Some(group) = item.get("model_name").and_then(Node::scalar_text) else {
            cx.invalid(item, "a `model_list` entry needs a `model_name`");
            continue;
        };
        let Some(params) = item.get("litellm_params").filter(|params| params.is_map()) else {
            cx.invalid(
                item.get("litellm_params").unwrap_or(item),
                "a `model_list` entry needs `litellm_params` with the `model` to call",
            );
            continue;
        };
        let Some(model) = params.get("model").and_then(Node::as_str) else {
            cx.invalid(
                params.get("model").unwrap_or(params),
                "`litellm_params.model` must name the model to call, e.g. `azure/gpt-4o`",
            );
            continue;
        };
        let api_base = cx.string(params, "api_base");
        let raw_model = model;
        let (provider, model) = split_model(model, api_base.as_deref());
        let timeout = cx
            .nonzero_duration(params, "timeout", ZERO_TIMEOUT)
            .or_else(|| cx.nonzero_duration(params, "request_timeout", ZERO_TIMEOUT))
            .unwrap_or_else(|| settings.timeout.clone());
        let stream_timeout = cx
            .nonzero_duration(params, "stream_timeout", ZERO_TIMEOUT)
            .or_else(|| settings.stream_timeout.clone());
        let num_retries = cx.count(params, "num_retries");
        let client_retries = cx
            .count(params, "max_retries")
            .map_or(0, |count| count.value);
        let model_info = item.get("model_info");
        entries.push(DeploymentEntry {
            group: group.to_string(),
            deployment: Deployment {
                provider,
                model: Some(model),
                api_base,
                credential: params
                    .get("api_key")
                    .and_then(Node::scalar_text)
                    .map(str::to_string),
                location,
                timeout: Some(timeout),
                stream_timeout,
            },
            id: model_info
                .and_then(|info| info.get("id"))
                .and_then(Node::scalar_text)
                .map(str::to_string),
            mode: model_info
                .and_then(|info| cx.string(info, "mode"))
                // The `text-completion-` providers speak the legacy completions API.
                .or_else(|| {
                    raw_model
                        .starts_with("text-completion-")
                        .then(|| "completion".to_string())
                }),
            client_retries,
            num_retries,
        });
    }
    entries
}

/// The provider and the model of `litellm_params.model`: a known provider prefix, or the
/// provider the model name belongs to. Protocol prefixes (and `openai/` pointed at another
/// server) leave the provider to `api_base`.
fn split_model(model: &str, api_base: Option<&str>) -> (Option<String>, String) {
    if let Some((prefix, rest)) = model.split_once('/') {
        let protocol = PROTOCOL_PREFIXES.contains(&prefix);
        if protocol || PROVIDERS.contains(&prefix) {
            let elsewhere = api_base.is_some_and(|base| !base.contains("api.openai.com"));
            if protocol || (prefix == "openai" && elsewhere) {
                return (None, rest.to_string());
            }
            return (
                Some(canonical_provider(prefix).to_string()),
                rest.to_string(),
            );
        }
    }
    (
        provider_of_model(model).map(str::to_string),
        model.to_string(),
    )
}

/// Several prefixes reach the same provider through different APIs.
fn canonical_provider(prefix: &str) -> &str {
    match prefix {
        "text-completion-openai" => "openai",
        "azure_text" => "azure",
        "vertex_ai_beta" => "vertex_ai",
        "ollama_chat" => "ollama",
        "cohere_chat" => "cohere",
        "sagemaker_chat" => "sagemaker",
        "ai21_chat" => "ai21",
        "text-completion-codestral" | "codestral" => "mistral",
        other => other,
    }
}

/// The provider LiteLLM infers for a model named without a prefix.
fn provider_of_model(model: &str) -> Option<&'static str> {
    const OPENAI: &[&str] = &[
        "gpt-",
        "o1",
        "o3",
        "o4",
        "chatgpt-",
        "text-embedding-",
        "dall-e",
        "whisper",
        "tts-",
        "davinci",
        "babbage",
        "omni-moderation",
        "text-moderation",
    ];
    let starts = |prefixes: &[&str]| prefixes.iter().any(|prefix| model.starts_with(prefix));
    if starts(OPENAI) {
        Some("openai")
    } else if starts(&["claude"]) {
        Some("anthropic")
    } else if starts(&["gemini"]) {
        Some("vertex_ai")
    } else if starts(&["command"]) {
        Some("cohere")
    } else if starts(&[
        "mistral-",
        "mixtral-",
        "open-mistral",
        "open-mixtral",
        "codestral",
    ]) {
        Some("mistral")
    } else if starts(&["deepseek-"]) {
        Some("deepseek")
    } else if starts(&["grok-"]) {
        Some("xai")
    } else {
        None
    }
}

pub(super) fn group_deployments(
    entries: &[DeploymentEntry],
    settings: &Settings<'_>,
) -> (Vec<ModelGroup>, Vec<Vec<usize>>) {
    let mut groups: Vec<ModelGroup> = Vec::new();
    // Each group's entries, by their position in `entries`.
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut by_name: HashMap<&str, usize> = HashMap::default();
    let mut aliases: HashMap<&str, Vec<String>> = HashMap::default();
    for (alias, group) in &settings.aliases {
        aliases.entry(group).or_default().push(alias.clone());
    }
    for (position, entry) in entries.iter().enumerate() {
        let at = *by_name.entry(&entry.group).or_insert_with(|| {
            groups.push(ModelGroup {
                name: entry.group.clone(),
                aliases: aliases.remove(entry.group.as_str()).unwrap_or_default(),
                location: entry.deployment.location,
                deployments: Vec::new(),
                route: None,
            });
            members.push(Vec::new());
            groups.len() - 1
        });
        let group = &mut groups[at];
        group.deployments.push(entry.deployment.clone());
        group.aliases.extend(entry.id.iter().cloned());
        members[at].push(position);
    }
    (groups, members)
}

/// The OpenAI-compatible endpoint the proxy serves a group on, by its `model_info.mode`, else
/// by what the model is.
pub(super) fn endpoint(mode: Option<&str>, model: &str) -> &'static str {
    let by_mode = |mode: &str| match mode {
        "embedding" => "/v1/embeddings",
        "completion" => "/v1/completions",
        "image_generation" => "/v1/images/generations",
        "audio_transcription" => "/v1/audio/transcriptions",
        "audio_speech" => "/v1/audio/speech",
        "rerank" => "/v1/rerank",
        "moderation" | "moderations" => "/v1/moderations",
        "responses" => "/v1/responses",
        _ => "/v1/chat/completions",
    };
    if let Some(mode) = mode {
        return by_mode(mode);
    }
    let name = model.to_ascii_lowercase();
    let inferred = if name.contains("embed") {
        "embedding"
    } else if ["gpt-3.5-turbo-instruct", "davinci-", "babbage-"]
        .iter()
        .any(|legacy| name.contains(legacy))
    {
        "completion"
    } else if name.contains("dall-e") || name.starts_with("gpt-image") {
        "image_generation"
    } else if name.contains("whisper") {
        "audio_transcription"
    } else if name.starts_with("tts-") {
        "audio_speech"
    } else if name.contains("rerank") {
        "rerank"
    } else if name.contains("moderation") {
        "moderation"
    } else {
        "chat"
    };
    by_mode(inferred)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_from_prefixes_and_names() {
        assert_eq!(
            split_model("azure/gpt-4o", None),
            (Some("azure".to_string()), "gpt-4o".to_string())
        );
        assert_eq!(
            split_model("text-completion-openai/gpt-3.5-turbo-instruct", None),
            (
                Some("openai".to_string()),
                "gpt-3.5-turbo-instruct".to_string()
            )
        );
        assert_eq!(
            split_model("claude-3-opus-20240229", None),
            (
                Some("anthropic".to_string()),
                "claude-3-opus-20240229".to_string()
            )
        );
        // A protocol, not a provider: whoever serves api_base is the provider.
        assert_eq!(
            split_model(
                "hosted_vllm/meta-llama/Llama-3.1-8B",
                Some("http://vllm:8000")
            ),
            (None, "meta-llama/Llama-3.1-8B".to_string())
        );
        assert_eq!(
            split_model("openai/my-model", Some("https://llm.internal/v1")).0,
            None
        );
        assert_eq!(
            split_model("openai/gpt-4o", Some("https://api.openai.com/v1")).0,
            Some("openai".to_string())
        );
        assert_eq!(split_model("mistralai/mistral-7b-instruct", None).0, None);
    }

    #[test]
    fn endpoints_by_mode_and_model() {
        assert_eq!(endpoint(Some("embedding"), "x"), "/v1/embeddings");
        assert_eq!(
            endpoint(Some("chat"), "text-embedding-3"),
            "/v1/chat/completions"
        );
        assert_eq!(
            endpoint(None, "mistral-embed mistral-embed"),
            "/v1/embeddings"
        );
        assert_eq!(
            endpoint(None, "whisper whisper-1"),
            "/v1/audio/transcriptions"
        );
        assert_eq!(endpoint(None, "gpt-4o gpt-4o"), "/v1/chat/completions");
    }
}
