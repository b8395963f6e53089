META
key;value
description;test election
country;Poland
unit;Testville
instance;2024
num_projects;3
num_votes;3
budget;100
vote_type;approval
rule;greedy
date_begin;2024
date_end;2024
PROJECTS
project_id;cost;votes;name;selected
p1;60;3;One;1
p2;30;2;Two;1
p3;50;1;Three;0
VOTES
voter_id;vote
v1;p1,p2,p3
v2;p1, p2
v3;p1
