//! Reading samples back out of the Prometheus text the node renders for `/metrics`, so the
//! dashboard shows exactly the numbers a scraper sees, by the same names, without a second
//! path into the cores' counters.

/// One sample line: `name{label="value",...} number`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// The metric name (with `_bucket`, `_sum`, `_count` for histogram series).
    pub name: &'a str,
    /// Its labels, in order, values unescaped only of `\"` and `\\`.
    pub labels: Vec<(&'a str, String)>,
    /// Its value.
    pub value: f64,
}

impl Sample<'_> {
    /// The value of label `name`, if present.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Every sample of `text`; comment lines and lines that do not parse are skipped.
pub fn samples(text: &str) -> Vec<Sample<'_>> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(parse_line)
        .collect()
}

fn parse_line(line: &str) -> Option<Sample<'_>> {
    let name_end = line.find(['{', ' '])?;
    let name = &line[..name_end];
    let (labels, rest) = if line[name_end..].starts_with('{') {
        let close = find_label_end(line, name_end + 1)?;
        (
            parse_labels(&line[name_end + 1..close])?,
            &line[close + 1..],
        )
    } else {
        (Vec::new(), &line[name_end..])
    };
    let value = rest.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().ok()?,
    };
    Some(Sample {
        name,
        labels,
        value,
    })
}

/// The index of the `}` closing a label set that starts at `start`, skipping quoted text.
fn find_label_end(line: &str, start: usize) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices().skip_while(|&(i, _)| i < start) {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '}' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_labels(text: &str) -> Option<Vec<(&str, String)>> {
    let mut labels = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start().strip_prefix('"')?;
        let mut value = String::new();
        let mut escaped = false;
        let mut end = None;
        for (i, c) in after.char_indices() {
            match c {
                _ if escaped => {
                    value.push(if c == 'n' { '\n' } else { c });
                    escaped = false;
                }
                '\\' => escaped = true,
                '"' => {
                    end = Some(i);
                    break;
                }
                _ => value.push(c),
            }
        }
        let end = end?;
        labels.push((key, value));
        rest = after[end + 1..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Some(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_with_and_without_labels_and_odd_values() {
        let text = "# HELP x y\n# TYPE x counter\nmedianode_cores 2\n\
                    medianode_core_up{core=\"0\",backend=\"io_uring\"} 1\n\
                    medianode_core_recv_batch_size_bucket{core=\"1\",le=\"+Inf\"} 7\n\
                    odd{a=\"x\\\"}y\", b=\"2\"} +Inf\n\
                    broken{core=\"0\" 5\n";
        let samples = samples(text);
        assert_eq!(samples.len(), 4, "{samples:?}");
        assert_eq!(
            (samples[0].name, samples[0].value),
            ("medianode_cores", 2.0)
        );
        assert_eq!(samples[1].label("backend"), Some("io_uring"));
        assert_eq!(samples[2].label("le"), Some("+Inf"));
        assert_eq!(samples[3].label("a"), Some("x\"}y"));
        assert_eq!(samples[3].label("b"), Some("2"));
        assert!(samples[3].value.is_infinite());
        assert_eq!(samples[1].label("missing"), None);
    }
}
