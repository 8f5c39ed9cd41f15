"""Word search in titles and descriptions through the database's index (issue 17 item 4, ADR 0019): Chinese
words of two characters (漏水, 噪音) and more, one character, Latin words and numbers, full-width text; kept
in step when a description is corrected; scoped like every list. Runs on SQLite (FTS5) in `make test` and
on PostgreSQL (GIN over tsvector) in `make test-pg`."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from estatedesk.feedback import search, views
from estatedesk.feedback.models import FeedbackItem
from estatedesk.feedback.search import query_terms, search_tokens
from estatedesk.feedback.selectors import ItemFilters, item_list, search_condition
from estatedesk.feedback.tests.helpers import register


def found(user, text):
    return {item.title for item in item_list(user=user, filters=ItemFilters(search=text))}


@pytest.fixture
def items(world):
    for title, description in [
        ("卫生间漏水", "楼上卫生间漏水，天花板一直滴水。"),
        ("夜间噪音扰民", "隔壁装修噪音太大，晚上十点以后还在施工。"),
        ("电梯停运", "３号楼电梯停运两天了，老人上下楼不方便。"),
        ("水压太低", "早上七点水压太低，热水器打不着火。"),
        ("Lift broken", "The LIFT in block 2 stopped between floors; residents were stuck."),
    ]:
        register(world, title=title, description=description)
    return FeedbackItem.objects.count()


def test_two_character_words_are_found_by_the_index(world, items):
    assert found(world.agent_a, "漏水") == {"卫生间漏水"}
    assert found(world.agent_a, "噪音") == {"夜间噪音扰民"}
    assert found(world.agent_a, "停运") == {"电梯停运"}


def test_longer_words_several_words_and_one_character(world, items):
    assert found(world.agent_a, "天花板滴水") == set()  # its pairs are not all in the text
    assert found(world.agent_a, "天花板") == {"卫生间漏水"}
    assert found(world.agent_a, "漏水 天花板") == {"卫生间漏水"}
    assert found(world.agent_a, "漏水 噪音") == set()  # every word must be in the item
    assert found(world.agent_a, "水") == {"卫生间漏水", "水压太低"}  # 水 alone, at the end or the start


def test_full_width_digits_and_latin_case_are_the_plain_ones(world, items):
    assert found(world.agent_a, "3号楼") == {"电梯停运"}  # the description says ３号楼
    assert found(world.agent_a, "３号楼") == {"电梯停运"}
    assert found(world.agent_a, "lift") == {"Lift broken"}
    assert found(world.agent_a, "LIFT STUCK") == {"Lift broken"}
    assert found(world.agent_a, "resid") == {"Lift broken"}  # the start of a word


def test_the_search_uses_the_database_index(world, items):
    condition = str(FeedbackItem.objects.filter(search_condition("漏水")).query)
    index = "feedback_item_search" if connection.vendor == "sqlite" else "search_vector"
    assert index in condition
    assert "LIKE" not in condition


def test_punctuation_only_is_compared_as_text(world, items):
    register(world, title="！！！", description="？？")
    assert query_terms("！！！") == []
    assert found(world.agent_a, "！！！") == {"！！！"}


def test_a_corrected_description_is_searched_by_its_new_words(world, items):
    item = FeedbackItem.objects.get(title="水压太低")
    item.description = "地下车库积水，车开不进去。"
    item.save(update_fields=["description"])
    assert found(world.agent_a, "积水") == {"水压太低"}
    assert "水压太低" not in found(world.agent_a, "热水器")
    item.delete()
    assert found(world.agent_a, "积水") == set()


def test_search_is_scoped_like_the_list(world, items):
    register(world, actor=world.outsider, project=world.project_b, title="B的漏水", description="B项目漏水")
    assert found(world.outsider, "漏水") == {"B的漏水"}
    assert found(world.agent_a, "漏水") == {"卫生间漏水"}
    assert found(world.owner_a, "漏水") == set()  # not the resident's item


def test_the_list_page_and_the_api_search_through_the_index(world, items, login):
    page = login(world.agent_a).get(reverse("feedback:item_list"), {"q": "噪音"})
    assert page.status_code == 200
    assert "夜间噪音扰民" in page.content.decode()
    assert "卫生间漏水" not in page.content.decode()
    api = login(world.agent_a).get(reverse("api-feedback-item-list"), {"search": "噪音"})
    assert [row["title"] for row in api.json()["results"]] == ["夜间噪音扰民"]


def test_tokens_hold_pairs_last_characters_and_words():
    assert search_tokens("漏水", "楼上ABC１２３，B座") == "漏水 水 楼上 上 abc123 b 座"
    assert query_terms("漏水严重 3号楼") == [
        ("漏水", False),
        ("水严", False),
        ("严重", False),
        ("3", True),
        ("号楼", False),
    ]


@pytest.mark.parametrize("walk_from", [0, 10**9])
def test_many_or_few_matches_list_the_same_items_newest_first(world, items, monkeypatch, walk_from):
    """Both databases read many matches by walking the list's date order, few by sorting them (search.py):
    the same items in the same order either way, and counted the same."""
    monkeypatch.setattr(search, "SQLITE_WALK_FROM", walk_from)
    monkeypatch.setattr(search, "POSTGRESQL_WALK_FROM", walk_from)
    register(world, title="二次漏水", description="又漏水了")
    listed = list(item_list(user=world.agent_a, filters=ItemFilters(search="漏水")))
    assert [item.title for item in listed] == ["二次漏水", "卫生间漏水"]
    assert item_list(user=world.agent_a, filters=ItemFilters(search="漏水")).count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own plan choice")
def test_postgresql_walks_the_date_order_for_many_matches_and_counts_through_the_index(
    world, items, monkeypatch
):
    """The planner takes two words for independent and would sort every match of 噪音 扰民: with many
    matches the list's query checks each item's stored vector with a function no index answers, so that
    PostgreSQL walks the date order and stops at the page; a count and a list of few matches keep `@@`,
    which the GIN index answers."""
    monkeypatch.setattr(search, "POSTGRESQL_WALK_FROM", 1)
    listed = item_list(user=world.agent_a, filters=ItemFilters(search="噪音 扰民"))
    assert "ts_match_vq" in str(listed.query)
    assert "ts_match_vq" not in str(listed.order_by().query)  # a count, unordered: the index
    assert [item.title for item in listed] == ["夜间噪音扰民"]
    # each word on items, never together: counted through the index, not walked (the walk would read
    # every item)
    apart = item_list(user=world.agent_a, filters=ItemFilters(search="漏水 电梯"))
    assert "ts_match_vq" not in str(apart.query)
    assert list(apart) == []
    monkeypatch.setattr(search, "POSTGRESQL_WALK_FROM", 10**9)
    few = item_list(user=world.agent_a, filters=ItemFilters(search="噪音 扰民"))
    assert "ts_match_vq" not in str(few.query)
    assert "@@" in str(few.query)
    assert [item.title for item in few] == ["夜间噪音扰民"]


def test_a_word_on_no_item_asks_nothing_more(world, items, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the index's count, then no list query
        assert list(item_list(user=world.agent_a, filters=ItemFilters(search="冰箱"))) == []


def test_a_searched_list_counts_to_its_own_cap_on_the_page_and_in_the_api(world, items, login, monkeypatch):
    """A search counts up to search.SEARCH_COUNT_CAP (1,000; here 2) and then says there are more."""
    monkeypatch.setattr(search, "SEARCH_COUNT_CAP", 2)
    monkeypatch.setattr(views, "PAGE_SIZE", 1)  # the pager shows from two pages on
    register(world, title="二次漏水", description="又漏水了")
    register(world, title="三次漏水", description="还在漏水")
    client = login(world.agent_a)
    with translation.override("en"):
        page = client.get(reverse("feedback:item_list"), {"q": "漏水"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "more than 2 items" in page.content.decode()
    body = client.get(reverse("api-feedback-item-list"), {"search": "漏水", "page_size": 1}).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (2, True, 1)
    unsearched = client.get(reverse("api-feedback-item-list")).json()
    assert (unsearched["count"], unsearched["count_capped"]) == (items + 2, False)
