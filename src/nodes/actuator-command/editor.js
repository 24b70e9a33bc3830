(function () {
    var NUMBER_FIELDS = ["hysteresis", "minConfidence", "cooldown", "ackTimeout", "retries", "correctionWindow", "keptAfter"];
    var V = IotAiEditor.valid;
    var say = IotAiEditor.say;
    var CORE = IotAiEditor.core.actuate; // from src/core/actuate (the build writes it)
    var numberOrBlank = V.number({ min: 0 });
    var jsonOrBlank = V.json("object");
    function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
    function parsesAsObject(text) {
        if (typeof text !== "string") { return false; }
        try { return isObject(JSON.parse(text)); } catch (e) { return false; }
    }
    // A rule saved before commandType existed is read as the runtime reads it: JSON when its command is (or
    // parses as) an object, else text.
    function commandTypeOf(rule) {
        if (rule.commandType === "json" || rule.commandType === "text") { return rule.commandType; }
        return isObject(rule.command) || parsesAsObject(rule.command) ? "json" : "text";
    }
    var BARE_PLACEHOLDER = /^\{(?:deviceId|label|value|correlationId)\}/;
    /** As the runtime reads a text command (src/core/actuate/template.ts): bare placeholders stand for strings. */
    function quoteBarePlaceholders(text) {
        var out = "";
        var inString = false;
        for (var i = 0; i < text.length; i++) {
            var c = text.charAt(i);
            if (inString) {
                if (c === "\\") { out += text.slice(i, i + 2); i++; continue; }
                if (c === "\"") { inString = false; }
            } else if (c === "\"") {
                inString = true;
            } else if (c === "{") {
                var bare = BARE_PLACEHOLDER.exec(text.slice(i, i + 15));
                if (bare) { out += "\"" + bare[0] + "\""; i += bare[0].length - 1; continue; }
            }
            out += c;
        }
        return out;
    }
    /** A text command written as a JSON object that is not valid JSON ({light: ON}): the parse error, or "". */
    function brokenJsonText(text) {
        var quotedText = quoteBarePlaceholders(String(text).trim());
        if (quotedText.charAt(0) !== "{" || quotedText.charAt(quotedText.length - 1) !== "}") { return ""; }
        try { JSON.parse(quotedText); return ""; } catch (e) { return e.message; }
    }
    /** Why a rule's command is invalid, or true. */
    function checkCommand(node, rule) {
        if (rule.command === undefined || rule.command === "") { return say(node, "actuator-command.validation.commandMissing"); }
        if (rule.commandType === "json" || (rule.commandType !== "text" && typeof rule.command !== "string")) {
            if (isObject(rule.command)) { return true; }
            try { JSON.parse(rule.command); } catch (e) { return say(node, "iotAi.validation.json", { error: e.message }); }
            return parsesAsObject(rule.command) ? true : say(node, "iotAi.validation.jsonObject");
        }
        if (typeof rule.command !== "string") { return say(node, "actuator-command.validation.commandText"); }
        var broken = brokenJsonText(rule.command);
        return broken === "" ? true : say(node, "actuator-command.validation.commandBrokenJson", { error: broken });
    }
    /** Why a rule is invalid, or true. */
    function checkRule(node, r) {
        var hasLabel = r.label !== undefined && r.label !== "";
        var numeric = ["above", "below"].filter(function (k) { return r[k] !== undefined && r[k] !== ""; });
        if (!hasLabel && numeric.length === 0) { return say(node, "actuator-command.validation.ruleMatch"); }
        for (var i = 0; i < numeric.length; i++) {
            if (!isFinite(Number(r[numeric[i]]))) { return say(node, "actuator-command.validation.ruleNumber", { kind: numeric[i] }); }
        }
        return checkCommand(node, r);
    }
    function validRules(rules, opt) {
        if (!Array.isArray(rules) || rules.length === 0) { return say(this, "actuator-command.validation.rules"); }
        for (var i = 0; i < rules.length; i++) {
            var result = checkRule(this, rules[i]);
            if (result !== true) { return say(this, "actuator-command.validation.rule", { index: i + 1, reason: result }); }
        }
        return true;
    }
    /** limits: JSON of { min, max } or { <field>: { min, max } }, each pair with min ≤ max. */
    function validLimits(v, opt) {
        var result = jsonOrBlank.call(this, v, opt);
        if (result !== true || v === "" || v === undefined || v === null) { return result; }
        var limits = typeof v === "string" ? JSON.parse(v) : v;
        var keys = Object.keys(limits);
        var ranges = keys.length > 0 && keys.every(function (k) { return isObject(limits[k]); }) ? keys.map(function (k) { return { name: k, range: limits[k] }; }) : [{ name: "", range: limits }];
        for (var i = 0; i < ranges.length; i++) {
            var range = ranges[i].range;
            var extra = Object.keys(range).filter(function (k) { return k !== "min" && k !== "max"; });
            if (extra.length > 0 || (range.min === undefined && range.max === undefined)) { return say(this, "actuator-command.validation.limitsShape", { field: ranges[i].name || "limits" }); }
            for (var b = 0; b < 2; b++) {
                var bound = b === 0 ? "min" : "max";
                if (range[bound] !== undefined && (typeof range[bound] === "boolean" || !isFinite(Number(range[bound])))) { return say(this, "actuator-command.validation.limitsNumber", { field: ranges[i].name || "limits", bound: bound }); }
            }
            var order = V.order(this, range.min, range.max);
            if (order !== true) { return (ranges[i].name ? ranges[i].name + ": " : "") + order; }
        }
        return true;
    }
    /** A topic template: no MQTT wildcards, and {correlationId} belongs in the command, not the topic. */
    function validTopic(v, opt) {
        if (typeof v !== "string" || v.trim() === "") { return true; }
        if (/[+#]/.test(v)) { return say(this, "actuator-command.validation.topicWildcard"); }
        return v.indexOf("{correlationId}") === -1 ? true : say(this, "actuator-command.validation.topicCorrelation");
    }
    // What each profile fills in: its topic, ack and reply topic are the runtime's (src/core/actuate/profiles.ts,
    // IotAiEditor.core), its rules an example for the dialog.
    var EXAMPLE_RULES = {
        generic: [{ label: "on", commandType: "json", command: { state: "ON" } }, { label: "off", commandType: "json", command: { state: "OFF" } }],
        tasmota: [{ label: "on", commandType: "text", command: "ON" }, { label: "off", commandType: "text", command: "OFF" }],
        zigbee2mqtt: [{ label: "on", commandType: "json", command: { state: "ON" } }, { label: "off", commandType: "json", command: { state: "OFF" } }],
        shelly: [{ label: "on", commandType: "json", command: { method: "Switch.Set", params: { id: 0, on: true } } },
                { label: "off", commandType: "json", command: { method: "Switch.Set", params: { id: 0, on: false } } }],
        esphome: [{ label: "on", commandType: "text", command: "ON" }, { label: "off", commandType: "text", command: "OFF" }],
        homeassistant: [{ label: "on", commandType: "text", command: "ON" }, { label: "off", commandType: "text", command: "OFF" }],
        ttn: [{ label: "on", commandType: "json", command: { downlinks: [{ f_port: 1, frm_payload: "AQ==", confirmed: true, priority: "NORMAL" }] } },
                { label: "off", commandType: "json", command: { downlinks: [{ f_port: 1, frm_payload: "AA==", confirmed: true, priority: "NORMAL" }] } }],
        lwm2m: [{ label: "on", commandType: "json", command: { msgType: "write", data: { path: "/3311/0/5850", type: "Boolean", value: true } } },
                { label: "off", commandType: "json", command: { msgType: "write", data: { path: "/3311/0/5850", type: "Boolean", value: false } } }]
    };
    var PROFILES = {};
    Object.keys(CORE.profiles).forEach(function (name) {
        var profile = CORE.profiles[name];
        PROFILES[name] = { topic: profile.topic, ack: profile.ack, replyTopic: profile.replyTopic, rules: EXAMPLE_RULES[name] || EXAMPLE_RULES.generic };
    });
    /** One rule row as the dialog shows it, as oneditsave stores it; null for a blank row. */
    function readRule(row) {
        var kind = row.find(".rule-kind").val();
        var match = row.find(".rule-match").val().trim();
        var cmd = row.find(".rule-command");
        var commandType = cmd.typedInput("type");
        var commandText = cmd.typedInput("value").trim();
        var topic = row.find(".rule-topic").val().trim();
        if (match === "" && commandText === "") { return null; }
        var rule = {};
        if (kind === "label") { rule.label = match; } else { rule[kind] = match === "" || !isFinite(Number(match)) ? match : Number(match); }
        // Done waits for a JSON command to parse; if one still does not, its text is kept for validation to flag.
        rule.commandType = commandType;
        rule.command = commandType === "json" && parsesAsObject(commandText) ? JSON.parse(commandText) : commandText;
        if (topic) { rule.topic = topic; }
        return rule;
    }
    function readRules() {
        var rules = [];
        $("#node-input-rules-container").editableList("items").each(function () {
            var rule = readRule($(this));
            if (rule) { rules.push(rule); }
        });
        return rules;
    }
    function sameJson(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
    IotAiEditor.register("actuator-command", {
        numbers: NUMBER_FIELDS,
        color: "#E2D96E",
        defaults: {
            profile: { value: "generic", validate: V.choice(Object.keys(PROFILES)) },
            rules: { value: [{ label: "on", command: { state: "ON" } }, { label: "off", command: { state: "OFF" } }], validate: validRules },
            topic: { value: CORE.topic, validate: validTopic },
            hysteresis: { value: 0, validate: numberOrBlank },
            minConfidence: { value: 0, validate: V.number({ min: 0, max: 1 }) },
            cooldown: { value: 0, validate: numberOrBlank },
            onChangeOnly: { value: true }, // absent in flows saved before: off, as it was (migrations.ts)
            allowMissing: { value: false },
            limits: { value: "", validate: validLimits },
            limitMode: { value: "clamp", validate: V.choice(CORE.limitModes) },
            commandSchema: { value: "", validate: jsonOrBlank },
            ack: { value: "none", validate: V.choice(CORE.ackModes) },
            ackTimeout: { value: CORE.ackTimeout, validate: V.number({ min: CORE.minAckTimeout }) },
            retries: { value: 0, validate: V.number({ integer: true, min: 0, max: CORE.maxRetries }) },
            replyTopic: { value: CORE.replyTopic, validate: validTopic },
            persist: { value: "" },
            output: { value: "each", validate: V.choice(CORE.outputs) },
            correctionWindow: { value: CORE.correctionWindow, validate: V.number({ min: 0, max: 604800000 }) },
            keptAfter: { value: 0, validate: V.number({ min: 0, max: 604800000 }) }
        },
        inputs: 1,
        outputs: 3,
        icon: "iot-ai-actuator.svg",
        align: "right",
        paletteLabel: "actuator",
        label: function () { return this.name || "actuator command"; },
        outputLabels: function (i) { return this._(["actuator-command.outputs.commands", "actuator-command.outputs.outcomes", "actuator-command.outputs.feedback"][i]); },
        oneditprepare: function () {
            var node = this;
            // The dialog's own Done button: found once, as the JSON editor opened from a rule has one by the same id.
            var done = $("#node-input-rules-container").closest(".red-ui-tray").find("#node-dialog-ok");
            var checks;
            // A JSON command that does not parse as an object cannot be saved: Done waits until it does.
            function checkCommands() {
                var bad = 0;
                $("#node-input-rules-container").editableList("items").each(function () {
                    var row = $(this);
                    var cmd = row.find(".rule-command");
                    var text = cmd.typedInput("value");
                    var blank = text.trim() === "" && row.find(".rule-match").val().trim() === "";
                    if (cmd.typedInput("type") === "json" && !blank && !parsesAsObject(text)) { bad++; }
                });
                done.toggleClass("disabled", bad > 0);
                $(".iot-ai-command-error").toggle(bad > 0);
            }
            $("#node-input-rules-container").css("min-height", "150px").css("min-width", "450px").editableList({
                addItem: function (row, index, rule) {
                    rule = rule || {};
                    var kind = rule.above !== undefined ? "above" : rule.below !== undefined ? "below" : "label";
                    var match = kind === "label" ? (rule.label === undefined ? "" : rule.label) : rule[kind];
                    var command = rule.command === undefined ? "" : (typeof rule.command === "string" ? rule.command : JSON.stringify(rule.command));
                    var commandType = rule.command === undefined ? "json" : commandTypeOf(rule);
                    var select = $('<select class="rule-kind" style="width: 95px"></select>');
                    ["label", "above", "below"].forEach(function (k) { select.append($("<option>").val(k).text(node._("actuator-command.rule." + k))); });
                    select.val(kind);
                    var value = $('<input type="text" class="rule-match" style="width: 80px; margin-left: 4px">').val(match);
                    var cmd = $('<input type="text" class="rule-command" style="width: 38%; margin-left: 4px; font-family: monospace">')
                        .attr("placeholder", node._("actuator-command.placeholder.command")).val(command);
                    var cmdType = $('<input type="hidden" class="rule-command-type">').val(commandType);
                    var topic = $('<input type="text" class="rule-topic" style="width: 20%; margin-left: 4px">')
                        .attr("placeholder", node._("actuator-command.placeholder.ruleTopic")).val(rule.topic || "");
                    row.append(select, value, cmd, cmdType, topic);
                    cmd.typedInput({
                        types: ["json", { value: "text", label: node._("actuator-command.commandType.text"), icon: "red/images/typedInput/az.svg" }],
                        typeField: cmdType
                    });
                    checkCommands();
                    if (checks) { checks.run(); }
                },
                removeItem: function () {
                    checkCommands();
                    if (checks) { checks.run(); }
                },
                removable: true,
                sortable: true
            });
            (node.rules || []).forEach(function (rule) { $("#node-input-rules-container").editableList("addItem", rule); });
            $("#node-input-rules-container").on("input change keyup paste", "input", checkCommands);
            IotAiEditor.persistStores(node, "#node-input-persist", "actuator-command.persist.off");
            if (typeof node.limits === "object" && node.limits !== null) { $("#node-input-limits").val(JSON.stringify(node.limits)); }
            if (typeof node.commandSchema === "object" && node.commandSchema !== null) { $("#node-input-commandSchema").val(JSON.stringify(node.commandSchema)); }
            function refresh() {
                var ack = $("#node-input-ack").val();
                $(".iot-ai-ack-row").toggle(ack !== "none");
                $(".iot-ai-reply-row").toggle(ack === "payload" || ack === "mqtt5");
            }
            $("#node-input-ack").on("change", refresh);
            refresh();
            // A profile replaces only what still holds another profile's default: what the user typed stays.
            function isSomeDefault(field, value) {
                return Object.keys(PROFILES).some(function (p) { return PROFILES[p][field] === value; });
            }
            function currentRules() {
                var rules = [];
                $("#node-input-rules-container").editableList("items").each(function () {
                    var row = $(this);
                    var cmd = row.find(".rule-command");
                    var type = cmd.typedInput("type");
                    var text = cmd.typedInput("value").trim();
                    rules.push({ label: row.find(".rule-match").val().trim(), commandType: type, command: type === "json" && parsesAsObject(text) ? JSON.parse(text) : text });
                });
                return rules;
            }
            var previousProfile = $("#node-input-profile").val() || "generic";
            $("#node-input-profile").on("change", function () {
                var profile = PROFILES[$(this).val()] || PROFILES.generic;
                $(".iot-ai-profile-tip").toggle($(this).val() !== "generic");
                if ($(this).val() === previousProfile) { return; }
                var before = PROFILES[previousProfile] || PROFILES.generic;
                previousProfile = $(this).val();
                ["topic", "replyTopic"].forEach(function (field) {
                    var input = $("#node-input-" + field);
                    if (input.val().trim() === "" || isSomeDefault(field, input.val().trim())) { input.val(profile[field]); }
                });
                if ($("#node-input-ack").val() === before.ack || $("#node-input-ack").val() === "none") {
                    $("#node-input-ack").val(profile.ack).trigger("change");
                }
                var rules = currentRules();
                var untouched = rules.length === 0 || Object.keys(PROFILES).some(function (p) { return sameJson(PROFILES[p].rules, rules); });
                if (untouched) {
                    $("#node-input-rules-container").editableList("empty");
                    profile.rules.forEach(function (rule) { $("#node-input-rules-container").editableList("addItem", rule); });
                }
            });
            $(".iot-ai-profile-tip").toggle((node.profile || "generic") !== "generic");
            checks = IotAiEditor.validation.live(node, {
                read: { rules: readRules },
                field: { rules: $("#node-input-rules-container").closest(".red-ui-editableList-container") },
                // Each rule's own fields say what is wrong with them.
                rows: function (view) {
                    $("#node-input-rules-container").editableList("items").each(function () {
                        var row = $(this);
                        var rule = readRule(row);
                        var match = true;
                        var command = true;
                        if (rule) {
                            var result = checkRule(view, rule);
                            if (result !== true) {
                                if (checkCommand(view, rule) === result) { command = result; } else { match = result; }
                            }
                        }
                        IotAiEditor.mark(row.find(".rule-match"), match);
                        IotAiEditor.mark(row.find(".rule-command"), command);
                    });
                }
            });
            // Rules still the example on/off ones: one rule per label of the model wired upstream (its model-predict's ml-model).
            function exampleRules() {
                var rules = currentRules();
                return Object.keys(PROFILES).some(function (p) { return sameJson(PROFILES[p].rules, rules); });
            }
            var upstream = IotAiEditor.models.around(node, "model-predict", true).filter(function (p) { return p.model && RED.nodes.node(p.model); });
            if (upstream.length > 0 && exampleRules()) {
                var config = RED.nodes.node(upstream[0].model);
                IotAiEditor.models.summary(config, function (error, summary) {
                    if (error || !summary || !exampleRules()) { return; }
                    var labels = summary.labels || (summary.task === "anomaly" ? ["anomaly", "normal"] : null);
                    if (!labels || labels.length === 0) { return; }
                    // The example rules already match these labels (a model of on/off): they stay.
                    var matched = currentRules().map(function (r) { return String(r.label); }).sort();
                    if (sameJson(matched, labels.map(String).sort())) { return; }
                    var profile = PROFILES[$("#node-input-profile").val()] || PROFILES.generic;
                    var text = profile.rules[0].commandType === "text";
                    $("#node-input-rules-container").editableList("empty");
                    labels.slice(0, 20).forEach(function (label) {
                        $("#node-input-rules-container").editableList("addItem", { label: String(label), commandType: text ? "text" : "json", command: text ? String(label) : { state: String(label) } });
                    });
                    $(".iot-ai-rules-from-model").text(node._("actuator-command.tip.rulesFromModel", { model: summary.name, labels: labels.join(", ") })).show();
                });
            }
        },
        oneditsave: function () {
            this.rules = readRules();
        },
        oneditresize: function (size) {
            var rows = $("#dialog-form>div:not(.node-input-rules-container-row)");
            var height = size.height;
            for (var i = 0; i < rows.length; i++) { height -= $(rows[i]).outerHeight(true); }
            $("#node-input-rules-container").editableList("height", Math.max(150, height - 30));
        }
    });
})();
