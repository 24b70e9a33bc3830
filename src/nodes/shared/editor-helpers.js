// Shared by every editor of the palette (the build puts it in front of each node's editor script).
// Number fields use ids of their own (node-input-num-<name>), so the editor does not copy their text into the
// node; oneditsave stores a number (or the text, when it is not one, for validation to flag).
window.IotAiEditor = window.IotAiEditor || {
    numbers: {
        prepare: function (node, names) {
            names.forEach(function (name) {
                var value = node[name];
                $("#node-input-num-" + name).val(value === undefined || value === null ? "" : value);
            });
        },
        save: function (node, names) {
            names.forEach(function (name) {
                var text = String($("#node-input-num-" + name).val() || "").trim();
                node[name] = text !== "" && isFinite(Number(text)) ? Number(text) : text;
            });
        }
    }
};
