<?php
// Regenerates vectors.json from cases.json with PHP itself:
//   php internal/phpquery/testdata/gen.php > internal/phpquery/testdata/vectors.json
// "query" is http_build_query's output; "brackets" is the same data with
// lists of scalars written as key[]=value, kept only after checking that
// parse_str reads it to the same array as "query".
$cases = json_decode(file_get_contents(__DIR__ . '/cases.json'), true, 512, JSON_THROW_ON_ERROR);

function brackets(array $data, string $prefix = ''): array {
    $out = [];
    $isList = array_is_list($data) && $data !== [];
    foreach ($data as $k => $v) {
        if ($v === null) continue;
        $key = $prefix === '' ? urlencode((string)$k) : $prefix . '%5B' . urlencode((string)$k) . '%5D';
        if (is_array($v)) {
            $out = array_merge($out, brackets($v, $key));
            continue;
        }
        if ($isList && $prefix !== '') {
            $key = $prefix . '%5B%5D';
        }
        if (is_bool($v)) $v = $v ? '1' : '0';
        $out[] = $key . '=' . urlencode((string)$v);
    }
    return $out;
}

$vectors = [];
foreach ($cases as $c) {
    $query = http_build_query($c['input']);
    $br = implode('&', brackets($c['input']));
    parse_str($query, $a);
    parse_str($br, $b);
    if ($a !== $b) {
        fwrite(STDERR, "brackets form of {$c['name']} reads differently\n");
        exit(1);
    }
    $vectors[] = ['name' => $c['name'], 'query' => $query, 'brackets' => $br, 'parsed' => $a];
}
echo json_encode(['php' => PHP_VERSION, 'vectors' => $vectors], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
